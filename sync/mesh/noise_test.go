package mesh_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"lifeboat/sync/mesh"
)

// lockedBuffer is a log sink safe for memberlist's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the logged lines at WARN or above that contain s.
func (l *lockedBuffer) lines(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.b.String(), "\n") {
		if (strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR")) && strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

// A host on the ward network sending junk (200 UDP packets, 20 TCP
// connections with garbage) gets one log line per problem and interval,
// not one per packet, and the count of the rest is logged when the node stops. Fails
// on main before this change: memberlist logged an ERROR line for every
// packet and connection (220 lines; a flood fills the disk and buries
// the lines that matter).
func TestNode_JunkPacketsLogOneLinePerPeer(t *testing.T) {
	s := newSite(t)
	var buf lockedBuffer
	a := s.start(s.founder, nil, func(cfg *mesh.Config) {
		cfg.Logger = slog.New(slog.NewTextHandler(&buf, nil))
		cfg.NoiseInterval = time.Hour
	})
	const packets, conns = 200, 20
	u, err := net.Dial("udp", a.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	for i := range packets {
		_, _ = fmt.Fprintf(u, "junk packet %d that no site key opens", i)
	}
	for i := range conns {
		c, err := net.Dial("tcp", a.Addr())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fmt.Fprintf(c, "junk stream %d\n", i)
		c.Close()
	}
	waitFor(t, 20*time.Second, "the junk is handled", func() (bool, string) {
		n := a.Status().LogSuppressed
		return n >= packets, fmt.Sprintf("%d lines suppressed", n)
	})
	// A few problems (packets no key decrypts, streams that are not
	// encrypted or end early): one line each, never two for one.
	first := buf.lines("127.0.0.1")
	problems := map[string]bool{}
	for _, l := range first {
		problems[problemOf(l)] = true
	}
	if len(first) == 0 || len(first) > 3 || len(problems) != len(first) {
		t.Fatalf("%d log lines about the junk host, want one per problem (at most 3):\n%s", len(first), strings.Join(first, "\n"))
	}
	a.stop()
	got := buf.lines("127.0.0.1")
	counts := 0
	for _, l := range got[len(first):] {
		if strings.Contains(l, "suppressed=") {
			counts++
		}
	}
	if counts == 0 || len(got) > 2*len(first) {
		t.Fatalf("after stopping: %d lines, want the first ones and a count of the rest of each:\n%s", len(got), strings.Join(got, "\n"))
	}
	t.Logf("%s", strings.Join(got, "\n"))
}

// problemOf is a logged line's message without its numbers.
func problemOf(line string) string {
	_, msg, _ := strings.Cut(line, "msg=")
	msg, _, _ = strings.Cut(msg, " from=")
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '#'
		}
		return r
	}, msg)
}
