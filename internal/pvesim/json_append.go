package pvesim

import (
	"math"
	"strconv"
)

// Hand-written JSON for the large lists, byte for byte what marshalPVE
// writes for the same map: keys in sorted order (encoding/json sorts map
// keys), strings without HTML escaping, numbers as encoding/json formats
// them. The caller writes the keys in sorted order; the tests compare with
// marshalPVE.

// encodedJSON is a response's data already encoded as marshalPVE would.
type encodedJSON []byte

// MarshalJSON lets marshalPVE embed it.
func (e encodedJSON) MarshalJSON() ([]byte, error) { return e, nil }

// jsonObject appends one object's members to b.
type jsonObject struct {
	b     []byte
	first bool
}

func beginObject(b []byte) jsonObject { return jsonObject{b: append(b, '{'), first: true} }

// key writes the member name; names are plain ASCII literals.
func (o *jsonObject) key(k string) {
	if !o.first {
		o.b = append(o.b, ',')
	}
	o.first = false
	o.b = append(append(append(append(o.b, '"'), k...), '"'), ':')
}

func (o *jsonObject) str(k, v string) {
	o.key(k)
	o.b = appendJSONString(o.b, v)
}

func (o *jsonObject) int(k string, v int64) {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
}

func (o *jsonObject) float(k string, v float64) {
	o.key(k)
	o.b = appendJSONFloat(o.b, v)
}

func (o *jsonObject) end() []byte { return append(o.b, '}') }

// appendJSONString quotes s. Printable ASCII other than `"` and `\` is
// written as it is; any other string goes through marshalPVE, which owns
// the escaping rules (control characters, invalid UTF-8, U+2028/U+2029).
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			enc, err := marshalPVE(s)
			if err != nil { // a string always encodes
				panic(err)
			}
			return append(b, enc...)
		}
	}
	return append(append(append(b, '"'), s...), '"')
}

// appendJSONFloat writes f as encoding/json does (its floatEncoder):
// shortest representation, 'f' format unless the exponent is extreme.
func appendJSONFloat(b []byte, f float64) []byte {
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) || math.IsNaN(f) || math.IsInf(f, 0) {
		enc, err := marshalPVE(f)
		if err != nil { // NaN and infinities: PVE's statistics have none
			panic(err)
		}
		return append(b, enc...)
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}
