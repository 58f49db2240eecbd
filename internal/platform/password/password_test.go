package password

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

var fast = Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

func TestHashAndVerify(t *testing.T) {
	h := NewHasher(fast, 2, time.Second)
	hash, err := h.Hash(t.Context(), "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("Hash() = %q, want an argon2id PHC string", hash)
	}
	other, _ := h.Hash(t.Context(), "correct horse")
	if other == hash {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	tests := []struct {
		pw             string
		ok, wantRehash bool
	}{
		{"correct horse", true, false},
		{"correct horsE", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		ok, rehash, err := h.Verify(t.Context(), hash, tt.pw)
		if err != nil || ok != tt.ok || rehash != tt.wantRehash {
			t.Errorf("Verify(%q) = %v, %v, %v; want %v, %v, nil", tt.pw, ok, rehash, err, tt.ok, tt.wantRehash)
		}
	}
}

// Dummy is a hash of the current parameters, verified like a real one
// (same parameters, salt and digest sizes, so the same argon2id work), that
// matches nothing; each call has its own salt and digest.
func TestDummy(t *testing.T) {
	p := Params{MemoryKiB: 128, Iterations: 3, Parallelism: 2}
	h := NewHasher(p, 1, time.Second)
	dummy := h.Dummy()
	gotParams, salt, key, err := parsePHC(dummy)
	if err != nil || gotParams != p || len(salt) != saltLen || len(key) != keyLen {
		t.Fatalf("Dummy() = %q: params %+v, salt %d bytes, digest %d, %v; want %+v, %d, %d", dummy, gotParams, len(salt), len(key), err, p, saltLen, keyLen)
	}
	for _, pw := range []string{"", "pw-123456"} {
		if ok, rehash, err := h.Verify(t.Context(), dummy, pw); ok || rehash || err != nil {
			t.Errorf("Verify(dummy, %q) = %v, %v, %v; want false, false, nil", pw, ok, rehash, err)
		}
	}
	if h.Dummy() == dummy {
		t.Error("two dummies are equal: salt and digest are not random")
	}
}

func TestVerifyAsksForRehashWhenParamsChange(t *testing.T) {
	old, _ := NewHasher(fast, 1, time.Second).Hash(t.Context(), "pw-123456")
	ok, rehash, err := NewHasher(Params{MemoryKiB: 128, Iterations: 1, Parallelism: 1}, 1, time.Second).Verify(t.Context(), old, "pw-123456")
	if !ok || !rehash || err != nil {
		t.Errorf("Verify(old params) = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
}

func TestVerifiesReferenceBcryptHashes(t *testing.T) {
	long := strings.Repeat("x", 72)
	hash, err := bcrypt.GenerateFromPassword([]byte(long), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHasher(fast, 1, time.Second)
	tests := []struct {
		pw string
		ok bool
	}{
		{long, true},
		{long + "ignored by passlib", true}, // passlib truncated to 72 bytes
		{long[:71], false},
	}
	for _, tt := range tests {
		ok, rehash, err := h.Verify(t.Context(), string(hash), tt.pw)
		if err != nil || ok != tt.ok || rehash != tt.ok {
			t.Errorf("Verify(bcrypt, len %d) = %v, %v, %v; want %v, %v, nil", len(tt.pw), ok, rehash, err, tt.ok, tt.ok)
		}
	}
	// A hash in the reference's $2b$ form.
	b := strings.Replace(string(hash), "$2a$", "$2b$", 1)
	if ok, _, err := h.Verify(t.Context(), b, long); !ok || err != nil {
		t.Errorf("Verify($2b$) = %v, %v; want true, nil", ok, err)
	}
}

func TestMalformedHashesAreErrors(t *testing.T) {
	h := NewHasher(fast, 1, time.Second)
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=64,t=1,p=1$!!$abc", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$a2V5a2V5a2V5a2V5a2V5", "$2b$12$short"} {
		if ok, _, err := h.Verify(t.Context(), bad, "pw"); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want false and an error", bad, ok, err)
		}
	}
}

func TestSaturationQueuesThenRefuses(t *testing.T) {
	h := NewHasher(Params{MemoryKiB: 8 * 1024, Iterations: 3, Parallelism: 1}, 1, 10*time.Millisecond)
	h.slots <- struct{}{} // one hash in progress holds the only slot
	if _, err := h.Hash(t.Context(), "pw"); !errors.Is(err, ErrBusy) {
		t.Errorf("Hash() with the slot taken for longer than maxWait = %v, want ErrBusy", err)
	}
	go func() { time.Sleep(5 * time.Millisecond); h.release() }()
	if _, err := h.Hash(t.Context(), "pw"); err != nil {
		t.Errorf("Hash() after the slot frees within maxWait = %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	h.slots <- struct{}{}
	cancel()
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash() with a cancelled context = %v, want context.Canceled", err)
	}
	h.release()
}

func TestConcurrencyIsBounded(t *testing.T) {
	h := NewHasher(fast, 2, time.Minute)
	var mu sync.Mutex
	peak, cur := 0, 0
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			h.acquire(t.Context())
			mu.Lock()
			cur++
			peak = max(peak, cur)
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			cur--
			mu.Unlock()
			h.release()
		})
	}
	wg.Wait()
	if peak != 2 {
		t.Errorf("peak concurrent hashes = %d, want 2", peak)
	}
}

func BenchmarkHashOWASP(b *testing.B) {
	h := NewHasher(DefaultParams, 1, time.Minute)
	for b.Loop() {
		h.Hash(context.Background(), "correct horse battery staple")
	}
}
