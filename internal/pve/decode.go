package pve

import (
	"io"
	"net/http"
	"sync"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// decodeData decodes the "data" of a successful answer into out as it comes
// off the connection, so a response is decoded once: go-proxmox would
// unmarshal the whole body into a map and its "data" once more, and the
// caller a third time. go-proxmox then gets an empty body and, asked for
// nothing, decodes nothing. The decoder is go-json-experiment/json (the
// encoding/json v2 prototype): it parses in one pass where encoding/json
// scans a value before decoding it, which matters for a 10,000-VM inventory.
func decodeData(res *http.Response, out any) error {
	env := struct {
		Data any `json:"data"`
	}{Data: out}
	defer func() {
		// Drain what follows the object so the connection can be reused.
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		res.Body = http.NoBody
	}()
	if n := res.ContentLength; n > 0 && n <= maxDecodedBody {
		if l, ok := out.(presizedList); ok {
			l.presize(n)
		}
		// pveproxy sends Content-Length: one buffer of the right size
		// instead of json.Decoder's growing ones (a 10,000-VM inventory is
		// over 2 MB), kept for the next answer: the decoder copies what it
		// keeps.
		bufp, _ := bodyBuffers.Get().(*[]byte)
		if bufp == nil || int64(cap(*bufp)) < n {
			b := make([]byte, n)
			bufp = &b
		}
		defer bodyBuffers.Put(bufp)
		buf := (*bufp)[:n]
		if _, err := io.ReadFull(res.Body, buf); err != nil {
			return err
		}
		return jsonv2.Unmarshal(buf, &env, lenientJSON)
	}
	return jsonv2.UnmarshalRead(res.Body, &env, lenientJSON)
}

// lenientJSON accepts what encoding/json accepts and PVE may send: invalid
// UTF-8 in a description, a key twice. Member names match exactly, as PVE
// writes them (lower case): matching case-insensitively would cost a second
// lookup for every member we skip, a third of the decode.
var lenientJSON = jsonv2.JoinOptions(jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))

// maxDecodedBody bounds the buffer decodeData allocates up front.
const maxDecodedBody = 256 << 20

// bodyBuffers holds the buffers decodeData reads answers into.
var bodyBuffers sync.Pool

// presizedList is a list that allocates its capacity from the answer's
// length before it is decoded, instead of growing (and copying) as the
// decoder appends: the 10,000 entries of an inventory grew through 15
// copies, a third of what a cluster read allocated.
type presizedList interface{ presize(contentLength int64) }

// presize makes *l an empty slice with room for the entries of an answer of
// contentLength bytes whose entries take at least minBytes each; a longer
// answer still fits, as the decoder grows the slice if it must.
func presize[T any](l *[]T, contentLength int64, minBytes int) {
	*l = make([]T, 0, contentLength/int64(minBytes)+1)
}
