package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func statusCmd(env *Env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "status",
		Short: "Show the sync status of the node serving this data folder",
		Long: `Show what ` + "`lifeboat serve`" + ` last reported for this data folder: its
peers, when it last synced with each, its version vector, events still to
receive, and events refused from peers with the reason; with --feed, when
the core system feed last pulled, how many patients the census held, and
since when it has been failing and why. Needs no passphrase; the status
holds no patient data.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := env.DataDir(cmd)
			if err != nil {
				return err
			}
			if !asJSON {
				printOwnChain(cmd.Context(), cmd, filepath.Join(dir, StoreFile))
			}
			b, err := os.ReadFile(filepath.Join(dir, StatusFile))
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("no sync status in %s: start `lifeboat serve` first", dir)
			}
			if err != nil {
				return fmt.Errorf("read status: %w", err)
			}
			var d statusDoc
			if err := json.Unmarshal(b, &d); err != nil {
				return fmt.Errorf("read status: the file is damaged: %w", err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				_, err := out.Write(append(b, '\n'))
				return err
			}
			age := time.Since(d.Written).Round(time.Second)
			fmt.Fprintf(out, "Device %s on %s (reported %s ago)\n", d.Device, d.Addr, age)
			if every, err := time.ParseDuration(d.Every); err == nil && age > 3*every+time.Second {
				fmt.Fprintln(out, "WARNING: the status is old: is `lifeboat serve` still running?")
			}
			fmt.Fprintf(out, "Synced %.0f%%: %d events received, %d still to receive\n", 100*d.Progress, d.Received, d.ToReceive)
			if d.LastSync.IsZero() {
				fmt.Fprintln(out, "Last sync: never")
			} else {
				fmt.Fprintf(out, "Last sync: %s\n", d.LastSync.Local().Format(time.DateTime))
			}
			fmt.Fprintf(out, "Peers: %d\n", len(d.Peers))
			for _, p := range d.Peers {
				last := "never"
				if !p.LastSync.IsZero() {
					last = p.LastSync.Local().Format(time.DateTime)
				}
				fmt.Fprintf(out, "  %s %s  last sync %s  ahead of us by %d", p.Device, p.Addr, last, p.Ahead)
				if p.SkewWarning {
					fmt.Fprintf(out, "  CLOCK DIFFERS BY %s", (time.Duration(p.ClockSkewMS) * time.Millisecond).Round(time.Second))
				}
				fmt.Fprintln(out)
			}
			fmt.Fprintln(out, "Vector:")
			for _, dev := range sortedKeys(d.Vector) {
				fmt.Fprintf(out, "  %s %d\n", dev, d.Vector[dev])
			}
			for dev, why := range d.Held {
				fmt.Fprintf(out, "HELD for review: events of device %s: %s\n", dev, why)
			}
			for peer, why := range d.Refused {
				fmt.Fprintf(out, "Refused peer %s: %s\n", peer, why)
			}
			if n := max(d.QuarantinedTotal, len(d.Quarantined)); n > 0 {
				fmt.Fprintf(out, "Quarantined: %d events refused from peers (review them with `lifeboat quarantine list`)\n", n)
				for _, q := range d.Quarantined {
					fmt.Fprintf(out, "  %s/%d from %s: %s\n", q.Device, q.Seq, q.Peer, q.Reason)
				}
			}
			printRotations(out, d)
			printFeed(out, d.Feed, time.Now())
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the status file as JSON")
	return c
}

// printRotations says where the ward is with each site key rotation.
func printRotations(out io.Writer, d statusDoc) {
	for _, r := range d.KeyRotations {
		fmt.Fprintf(out, "Site key %s (after revoking %s, %s): ", r.Key, r.Revoked, r.At.Local().Format(time.DateTime))
		switch {
		case r.Missed && r.Step == "done":
			fmt.Fprintln(out, "MISSED by this device: it can no longer reach the ward; enrol it again")
		case r.Step == "install":
			fmt.Fprintf(out, "waiting for %s to receive the new key (the ward keeps the old one until then)\n", strings.Join(r.Waiting, ", "))
		case r.Step == "use":
			fmt.Fprintf(out, "waiting for %s to switch to the new key\n", strings.Join(r.Waiting, ", "))
		default:
			fmt.Fprintln(out, "done, old key retired")
		}
	}
	if d.SiteKeys > 1 {
		fmt.Fprintf(out, "Site keys held: %d (a rotation is under way)\n", d.SiteKeys)
	}
}
