package mesh

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"strings"
)

// slogWriter carries memberlist's log lines into slog at the level the
// line names ("[WARN] memberlist: ..."). memberlist logs addresses and
// node names, never our payloads or keys.
type slogWriter struct{ log *slog.Logger }

func newStdLogger(l *slog.Logger) *log.Logger { return log.New(slogWriter{l}, "", 0) }

func (w slogWriter) Write(p []byte) (int, error) {
	line := string(bytes.TrimSpace(p))
	level := slog.LevelInfo
	for tag, l := range map[string]slog.Level{"[DEBUG]": slog.LevelDebug, "[INFO]": slog.LevelInfo, "[WARN]": slog.LevelWarn, "[ERR]": slog.LevelError} {
		if strings.HasPrefix(line, tag) {
			level = l
			line = strings.TrimSpace(strings.TrimPrefix(line, tag))
			break
		}
	}
	line = strings.TrimPrefix(line, "memberlist: ")
	w.log.Log(context.Background(), level, line, "source", "memberlist")
	return len(p), nil
}
