package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// Devices signs and verifies device cookies: a browser that has logged in
// to an account before carries one, and is then judged by its own failed
// logins rather than stopped by the account's (OWASP's "slow brute force,
// not the user"). A cookie names a random device id and its expiry, and is
// bound to one account by an HMAC over them and the account's login name.
type Devices struct {
	keys [][]byte // current first; derived, never the signing keys themselves
}

// DeviceTTL is how long a device cookie is valid.
const DeviceTTL = 365 * 24 * time.Hour

// NewDevices derives the cookie keys from the server key and the previous
// one (may be empty), so that a key rotation keeps devices known.
func NewDevices(key, previous string) *Devices {
	d := &Devices{}
	for _, k := range []string{key, previous} {
		if k != "" {
			m := hmac.New(sha256.New, []byte(k))
			m.Write([]byte("anirohi device cookie v1"))
			d.keys = append(d.keys, m.Sum(nil))
		}
	}
	return d
}

const deviceIDLen, expiryLen, macLen = 16, 8, 32

// Issue returns a cookie value for account (its normalised login name),
// valid from now for DeviceTTL, naming the device id id (a new random one
// when empty).
func (d *Devices) Issue(account, id string, now time.Time) string {
	raw, ok := decodeDeviceID(id)
	if !ok {
		raw = make([]byte, deviceIDLen)
		rand.Read(raw)
	}
	b := binary.BigEndian.AppendUint64(raw, uint64(now.Add(DeviceTTL).Unix()))
	return base64.RawURLEncoding.EncodeToString(append(b, d.mac(d.keys[0], b, account)...))
}

// Verify returns the device id of a cookie value that is well formed,
// unexpired at now and bound to account, with ok false otherwise.
func (d *Devices) Verify(value, account string, now time.Time) (id string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(b) != deviceIDLen+expiryLen+macLen {
		return "", false
	}
	body, sum := b[:deviceIDLen+expiryLen], b[deviceIDLen+expiryLen:]
	if int64(binary.BigEndian.Uint64(body[deviceIDLen:])) <= now.Unix() {
		return "", false
	}
	for _, k := range d.keys {
		if hmac.Equal(sum, d.mac(k, body, account)) {
			return base64.RawURLEncoding.EncodeToString(body[:deviceIDLen]), true
		}
	}
	return "", false
}

func (d *Devices) mac(key, body []byte, account string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	m.Write([]byte(account))
	return m.Sum(nil)
}

func decodeDeviceID(id string) ([]byte, bool) {
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(b) != deviceIDLen {
		return nil, false
	}
	return append(make([]byte, 0, deviceIDLen+expiryLen+macLen), b...), true
}
