package main

import (
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// benchNode is where the managed VMs are created; the other VMs are spread
// over both nodes.
const benchNode = "pve"

var benchNodes = []string{"pve", "pve2"}

// cluster is one simulator behind a listener that counts the bytes on the
// wire in both directions, error answers written on hijacked connections
// included.
type cluster struct {
	sim   *pvesim.Server
	srv   *http.Server
	times *timeline
	url   string
	bytes atomic.Int64
}

// cell is one benchmark configuration.
type cell struct {
	managed, others int
	latency         time.Duration
}

func (c cell) String() string {
	return fmt.Sprintf("M=%d K=%d latency=%s", c.managed, c.others, c.latency)
}

// startCluster starts a simulator with c.others VMs created long ago (their
// names are in /cluster/resources, VMIDs from 1000 up), serving plain HTTP on
// loopback.
func startCluster(c cell, taskDuration, statsLag time.Duration) (*cluster, error) {
	sim, err := pvesim.New(pvesim.Options{
		Nodes: benchNodes, PlainHTTP: true, ExtraVMs: c.others,
		Latency: c.latency, TaskDuration: taskDuration, StatsLag: statsLag,
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = sim.Close()
		return nil, err
	}
	cl := &cluster{sim: sim, url: "http://" + ln.Addr().String() + "/api2/json", times: &timeline{next: sim}}
	cl.srv = &http.Server{Handler: cl.times, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = cl.srv.Serve(&countingListener{Listener: ln, bytes: &cl.bytes}) }()
	return cl, nil
}

func (cl *cluster) close() {
	_ = cl.srv.Close()
	_ = cl.sim.Close()
}

// counters is what the simulator and the listener counted so far.
type counters struct {
	requests, clusterReads, configReads int
	bytes                               int64
	// perEndpoint is keyed by the simulator's "METHOD /pattern".
	perEndpoint map[string]int
}

func (cl *cluster) counters() counters {
	counts := cl.sim.RequestCounts()
	return counters{
		requests:     cl.sim.TotalRequests(),
		clusterReads: counts["GET /cluster/resources"],
		configReads:  counts["GET /nodes/{node}/qemu/{vmid}/config"],
		bytes:        cl.bytes.Load(),
		perEndpoint:  counts,
	}
}

func (c counters) minus(o counters) counters {
	per := map[string]int{}
	for k, v := range c.perEndpoint {
		if d := v - o.perEndpoint[k]; d != 0 {
			per[k] = d
		}
	}
	return counters{
		requests: c.requests - o.requests, clusterReads: c.clusterReads - o.clusterReads,
		configReads: c.configReads - o.configReads, bytes: c.bytes - o.bytes, perEndpoint: per,
	}
}

type countingListener struct {
	net.Listener
	bytes *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, bytes: l.bytes}, nil
}

type countingConn struct {
	net.Conn
	bytes *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.bytes.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.bytes.Add(int64(n))
	return n, err
}
