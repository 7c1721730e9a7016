package mesh

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestNoise_OneLinePerKeyPerInterval(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	r := newNoise(time.Minute, func() time.Time { return now })
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, nil))
	lines := func() []string { return strings.Split(strings.TrimSpace(buf.String()), "\n") }
	for range 5 {
		r.log(l, slog.LevelWarn, "peerA", "refused events from a peer", "peer", "peerA")
	}
	r.log(l, slog.LevelWarn, "peerB", "refused events from a peer", "peer", "peerB")
	r.log(l, slog.LevelInfo, "peerB", "refused events from a peer", "peer", "peerB")
	if got := lines(); len(got) != 2 {
		t.Fatalf("%d lines in one interval for two peers, want 2:\n%s", len(got), buf.String())
	}
	r.flush(false) // within the interval: nothing yet
	if got := lines(); len(got) != 2 {
		t.Fatalf("flush within the interval logged:\n%s", buf.String())
	}
	now = now.Add(time.Minute)
	r.flush(false)
	got := lines()
	if len(got) != 4 || !strings.Contains(strings.Join(got[2:], "\n"), "from=peerA suppressed=4") ||
		!strings.Contains(strings.Join(got[2:], "\n"), "from=peerB suppressed=1") {
		t.Fatalf("after the interval, want a count per peer:\n%s", buf.String())
	}
	if r.total() != 5 {
		t.Errorf("total() = %d, want 5", r.total())
	}
	// A peer still misbehaving after the summary waits a new interval.
	r.log(l, slog.LevelWarn, "peerA", "refused events from a peer")
	if got := lines(); len(got) != 4 {
		t.Errorf("a line right after the summary:\n%s", buf.String())
	}
	now = now.Add(time.Minute)
	r.flush(false)
	if got := lines(); len(got) != 5 || !strings.Contains(got[4], "from=peerA suppressed=1") {
		t.Errorf("want its count at the end of that interval:\n%s", buf.String())
	}
	now = now.Add(time.Minute)
	r.flush(false)
	r.flush(false) // quiet keys are forgotten, never logged twice
	if got := lines(); len(got) != 5 {
		t.Errorf("a quiet peer logged:\n%s", buf.String())
	}
	if len(r.keys) != 0 {
		t.Errorf("%d keys kept after a quiet interval", len(r.keys))
	}
}

func TestNoise_ManyKeysShareOne(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	r := newNoise(time.Minute, func() time.Time { return now })
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, nil))
	for i := range maxNoiseKeys + 500 {
		r.log(l, slog.LevelError, fmt.Sprintf("10.0.%d.%d", i/256, i%256), "junk")
	}
	if len(r.keys) > maxNoiseKeys+1 {
		t.Errorf("%d keys tracked, want at most %d", len(r.keys), maxNoiseKeys+1)
	}
	if n := strings.Count(buf.String(), "\n"); n != maxNoiseKeys+1 {
		t.Errorf("%d lines, want %d (one per tracked key, one for the rest)", n, maxNoiseKeys+1)
	}
}

func TestNoiseKey(t *testing.T) {
	for line, want := range map[string]string{
		"Decrypt packet failed: unsupported encryption version 106 from=127.0.0.1:40881":                                      "127.0.0.1 Decrypt packet failed: unsupported encryption version #",
		"Decrypt packet failed: unsupported encryption version 7 from=127.0.0.1:40999":                                        "127.0.0.1 Decrypt packet failed: unsupported encryption version #",
		"failed to receive: EOF from=[fe80::1]:7946":                                                                          "fe80::1 failed to receive: EOF",
		"Failed to send ack: write udp 127.0.0.1:7946->[fd00::2]:7946: address fd00::2: non-IPv4 address from=127.0.0.1:7946": "127.0.0.1 Failed to send ack: write udp #.#.#.#:#->[fd#::#]:#: address",
		"ignoring alive message for 'K3DEV': refuse peer K3DEV: device has been revoked":                                      "K3DEV",
		"Remote node state size is (123) limit is (456)":                                                                      "Remote node state size is (#) limit is (#)",
	} {
		if got := noiseKey(line); got != want {
			t.Errorf("noiseKey(%q) = %q, want %q", line, got, want)
		}
	}
}
