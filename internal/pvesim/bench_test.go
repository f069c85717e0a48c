package pvesim

import (
	"io"
	"net/http"
	"testing"
)

func benchSim(b *testing.B, extra int) *Server {
	b.Helper()
	s, err := New(Options{PlainHTTP: true, Nodes: []string{"pve", "pve2", "pve3"}, ExtraVMs: extra})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// BenchmarkClusterResources10kVMs reads /cluster/resources of a 10,000-VM
// cluster over HTTP, as a provider's inventory does. The sub-benchmarks
// split the work: "answer" is all the simulator does for it (copy, sort,
// encode; type=vm is the provider's read), "locked" is what still runs under the simulator's lock
// (copying the VMs), "unlocked" the sorting and encoding that runs
// outside it.
func BenchmarkClusterResources10kVMs(b *testing.B) {
	s := benchSim(b, 10000)
	b.Run("http", func(b *testing.B) {
		client := &http.Client{}
		req, _ := http.NewRequest("GET", s.URL()+"/cluster/resources", nil)
		req.Header.Set("Authorization", "PVEAPIToken="+s.Token())
		b.ResetTimer()
		for b.Loop() {
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			if res.StatusCode != 200 || n < 10000*100 {
				b.Fatalf("%s, %d bytes", res.Status, n)
			}
			b.SetBytes(n)
		}
	})
	for _, typ := range []string{"", "vm"} { // all the simulator does for one read
		b.Run("answer-type="+typ, func(b *testing.B) {
			for b.Loop() {
				body, err := responseBody(s.readView(nil, typ).answer(typ))
				if err != nil || len(body) < 10000*100 {
					b.Fatal(len(body), err)
				}
			}
		})
	}
	b.Run("locked", func(b *testing.B) {
		for b.Loop() {
			if v := s.readView(nil, ""); len(v.guests) != 10000 {
				b.Fatal(len(v.guests))
			}
		}
	})
	b.Run("unlocked", func(b *testing.B) {
		view := s.readView(nil, "")
		for b.Loop() {
			if res := view.answer(""); res.status != 200 {
				b.Fatal(res.msg)
			}
		}
	})
}

// BenchmarkNodeGuestList10kVMs reads one node's guest list in a
// 10,000-VM cluster of three nodes (3,334 VMs), as a provider's shared
// read does for every node.
func BenchmarkNodeGuestList10kVMs(b *testing.B) {
	s := benchSim(b, 10000)
	client := &http.Client{}
	req, _ := http.NewRequest("GET", s.URL()+"/nodes/pve/qemu", nil)
	req.Header.Set("Authorization", "PVEAPIToken="+s.Token())
	for b.Loop() {
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if res.StatusCode != 200 || n < 3000*100 {
			b.Fatalf("%s, %d bytes", res.Status, n)
		}
		b.SetBytes(n)
	}
}
