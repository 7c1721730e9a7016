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
// node names, never our payloads or keys. Warnings and errors, which a
// peer sending junk causes once per packet or connection, go through
// the noise limiter: one line per host or node per interval.
type slogWriter struct {
	log   *slog.Logger
	noise *noise
}

func newStdLogger(l *slog.Logger, r *noise) *log.Logger {
	return log.New(slogWriter{l, r}, "", 0)
}

func (w slogWriter) Write(p []byte) (int, error) {
	line := string(bytes.TrimSpace(p))
	level := slog.LevelInfo
	for tag, l := range map[string]slog.Level{"[DEBUG]": slog.LevelDebug, "[INFO]": slog.LevelInfo, "[WARN]": slog.LevelWarn, "[ERR]": slog.LevelError, "[ERROR]": slog.LevelError} {
		if strings.HasPrefix(line, tag) {
			level = l
			line = strings.TrimSpace(strings.TrimPrefix(line, tag))
			break
		}
	}
	line = strings.TrimPrefix(line, "memberlist: ")
	if level >= slog.LevelWarn && w.noise != nil {
		w.noise.log(w.log, level, noiseKey(line), line, "source", "memberlist")
		return len(p), nil
	}
	w.log.Log(context.Background(), level, line, "source", "memberlist")
	return len(p), nil
}
