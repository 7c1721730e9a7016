package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lifeboat"
	"lifeboat/sync/feed"
	"lifeboat/sync/mesh"
)

// StatusFile is where `lifeboat serve` keeps its sync status in the data
// folder for `lifeboat status` to read. It holds no patient data.
const StatusFile = "mesh-status.json"

func serveCmd(env *Env) *cobra.Command {
	var (
		passFile, bind, advertise string
		join                      []string
		every                     time.Duration
		feedFile                  string
		who                       personFlags
		installSvc, uninstallSvc  bool
	)
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run a headless sync node (an always-on ward PC or a site relay)",
		Long: `Join the ward mesh and keep this store in step with every peer, with no
screen: for an always-on ward PC, or a relay joining several wards. The
node stops gracefully (leaving the mesh) on SIGTERM or Ctrl-C. Its sync
status is written to ` + StatusFile + ` in the data folder every few seconds;
read it with ` + "`lifeboat status`" + `.

With --feed FILE (` + feed.ConfigFile + `, see docs/feed.md) the node also keeps the census
current: it pulls the core system now and every "every", imports each
census as one record signed by --user (an IT admin, PIN from --pin-file),
which the mesh carries to every device, and tells the wards when the core
system has been unreachable for "outage_after" and when it answers again.
The feed's state shows in ` + "`lifeboat status`" + `.

On Windows, --install-service makes this command (with the data folder and
the other flags given) a service, "` + ServiceName + `", that starts with the PC and
runs as LocalService; --uninstall-service stops and removes it. Run them
as an administrator, from lifeboat-cli.exe. The service's messages go to
the Application event log.`,
		Example: `  lifeboat serve --passphrase-file /etc/lifeboat/pass
  lifeboat serve --feed /etc/lifeboat/feed.json --user "Ada Admin" --pin-file /etc/lifeboat/feed.pin
  lifeboat-cli.exe serve --install-service --passphrase-file C:\ProgramData\Lifeboat\relay.pass`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if installSvc || uninstallSvc {
				return serviceCmd(cmd, env, installSvc, uninstallSvc, passFile)
			}
			var feedCfg feed.Config
			if feedFile != "" {
				if strings.TrimSpace(who.user) == "" || who.pinFile == "" {
					return errFeedFlags
				}
				c, err := feed.LoadConfig(feedFile)
				if err != nil {
					return fmt.Errorf("--feed: %w", err)
				}
				feedCfg = c
			}
			release, err := env.lock(cmd)
			if err != nil {
				return err
			}
			defer release()
			if len(join) == 0 {
				dir, err := env.DataDir(cmd)
				if err != nil {
					return err
				}
				conf, err := LoadSyncConf(dir)
				if err != nil {
					return err
				}
				join = conf.Join
			}
			cfg, err := MeshConfig(bind, advertise, join)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			p := env.prompter(cmd.ErrOrStderr())
			db, err := openUnlocked(ctx, cmd, env, p, passFile)
			if err != nil {
				return err
			}
			defer db.Close()
			dir := filepath.Dir(db.Path())
			cfg.Store = db
			cfg.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelInfo}))
			var runner *feed.Runner
			if feedFile != "" {
				s, err := who.signIn(ctx, db, p)
				if err != nil {
					return err
				}
				defer db.SignOut(context.Background(), s)
				opts := env.Feed
				opts.Logger = cfg.Logger
				if runner, err = newFeedRunner(cmd, db, s, feedCfg, opts); err != nil {
					return err
				}
			}
			node, err := mesh.New(cfg)
			if err != nil {
				return fmt.Errorf("start sync: %w", err)
			}
			defer node.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "Serving device %s on %s; joining %v\n", node.Device(), node.Addr(), join)

			done := make(chan error, 1)
			go func() { done <- node.Run(ctx) }()
			// The summaries of the wards this node holds, for the site's
			// capacity view on devices that do not hold them (as the app
			// does while it syncs).
			sumCtx, stopSummaries := context.WithCancel(ctx)
			summaries := make(chan struct{})
			go func() { defer close(summaries); _ = db.RunWardSummaries(sumCtx, 0) }()
			defer func() { stopSummaries(); <-summaries }()
			feedStatus := func() *feedDoc { return nil }
			if runner != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "Feeding the census from %s every %s\n", runner.Status().Source, feedCfg.Every)
				feedCtx, stopFeed := context.WithCancel(ctx)
				feedDone := make(chan struct{})
				go func() { defer close(feedDone); _ = runner.Run(feedCtx) }()
				defer func() { stopFeed(); <-feedDone }() // SIGTERM stops it between pulls, with the node
				feedStatus = func() *feedDoc { return toFeedDoc(runner.Status()) }
			}
			tick := time.NewTicker(every)
			defer tick.Stop()
			for {
				if err := writeStatus(dir, node.Status(), every, feedStatus()); err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "write status:", err)
				}
				select {
				case err := <-done:
					_ = writeStatus(dir, node.Status(), every, feedStatus())
					if err != nil {
						return fmt.Errorf("sync: %w", err)
					}
					fmt.Fprintln(cmd.OutOrStdout(), "Stopped.")
					return nil
				case <-tick.C:
				}
			}
		},
	}
	f := c.Flags()
	f.StringVar(&passFile, "passphrase-file", "", "read the ward passphrase from this file")
	f.StringVar(&bind, "bind", net.JoinHostPort("0.0.0.0", strconv.Itoa(mesh.DefaultBindPort)), "address and port to listen on (UDP and TCP); port 0 picks a free one")
	f.StringVar(&advertise, "advertise", "", "address and port to tell peers, if not the bound one")
	f.StringSliceVar(&join, "join", nil, "address:port of a peer to join (repeat or comma-separate; default: those in "+SyncFile+", saved by lifeboat enrol)")
	f.DurationVar(&every, "status-every", 2*time.Second, "how often to write "+StatusFile)
	f.StringVar(&feedFile, "feed", "", "also keep the census current from the core system, as this feed configuration ("+feed.ConfigFile+") says")
	f.StringVar(&who.user, "user", "", "with --feed: the IT admin the census records are signed as")
	f.StringVar(&who.pinFile, "pin-file", "", "with --feed: read that person's PIN from this file")
	f.BoolVar(&installSvc, "install-service", false, "Windows: install this command, with the flags given, as the "+ServiceName+" service (needs --passphrase-file)")
	f.BoolVar(&uninstallSvc, "uninstall-service", false, "Windows: stop and remove the "+ServiceName+" service")
	return c
}

// MeshConfig is the mesh configuration the --bind, --advertise and --join
// flags give (the store and logger are the caller's to add).
func MeshConfig(bind, advertise string, join []string) (mesh.Config, error) {
	host, port, err := splitHostPort(bind)
	if err != nil {
		return mesh.Config{}, fmt.Errorf("--bind %q: %w", bind, err)
	}
	cfg := mesh.Config{BindAddr: host, BindPort: port, Join: join}
	if advertise != "" {
		if cfg.AdvertiseAddr, cfg.AdvertisePort, err = splitHostPort(advertise); err != nil {
			return mesh.Config{}, fmt.Errorf("--advertise %q: %w", advertise, err)
		}
	}
	for _, j := range join {
		if _, _, err := splitHostPort(j); err != nil {
			return mesh.Config{}, fmt.Errorf("--join %q: %w", j, err)
		}
	}
	return cfg, nil
}

func splitHostPort(s string) (string, int, error) {
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	return host, port, nil
}

// statusDoc is the status file's shape.
type statusDoc struct {
	Written     time.Time         `json:"written"`
	Every       string            `json:"every"`
	Device      string            `json:"device"`
	Addr        string            `json:"addr"`
	Peers       []peerDoc         `json:"peers"`
	Vector      map[string]uint64 `json:"vector"`
	ToReceive   uint64            `json:"to_receive"`
	Received    uint64            `json:"received"`
	Progress    float64           `json:"progress"`
	LastSync    time.Time         `json:"last_sync,omitzero"`
	Quarantined []quarantineDoc   `json:"quarantined,omitempty"`
	// QuarantinedTotal is how many events the store's quarantine holds
	// (Quarantined lists the newest).
	QuarantinedTotal int               `json:"quarantined_total"`
	Refused          map[string]string `json:"refused_peers,omitempty"`
	Held             map[string]string `json:"held,omitempty"`
	// SiteKeys is how many site keys the node holds (2 or more while a
	// rotation after a revocation is under way); KeyRotations how far
	// each rotation has got.
	SiteKeys     int           `json:"site_keys"`
	KeyRotations []rotationDoc `json:"key_rotations,omitempty"`
	// Feed is the core system feed's state (serve --feed).
	Feed *feedDoc `json:"feed,omitempty"`
}

type rotationDoc struct {
	Key     string    `json:"key"`
	Revoked string    `json:"revoked_device,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	At      time.Time `json:"at"`
	Step    string    `json:"step"`
	Waiting []string  `json:"waiting_for,omitempty"`
	Missed  bool      `json:"missed,omitempty"`
}

func rotationDocs(rots []lifeboat.KeyRotation) []rotationDoc {
	var out []rotationDoc
	for _, r := range rots {
		out = append(out, rotationDoc{Key: r.Key, Revoked: r.Revoked, Reason: r.Reason, At: r.At, Step: r.Step, Waiting: r.Waiting, Missed: r.Missed})
	}
	return out
}

type peerDoc struct {
	Device      string    `json:"device"`
	Addr        string    `json:"addr"`
	LastHeard   time.Time `json:"last_heard,omitzero"`
	LastSync    time.Time `json:"last_sync,omitzero"`
	Ahead       uint64    `json:"ahead"`
	ClockSkewMS int64     `json:"clock_skew_ms"`
	SkewWarning bool      `json:"skew_warning,omitempty"`
}

type quarantineDoc struct {
	Peer   string    `json:"peer"`
	At     time.Time `json:"at"`
	Event  string    `json:"event"`
	Device string    `json:"device"`
	Seq    uint64    `json:"seq"`
	Reason string    `json:"reason"`
}

func toDoc(s mesh.Status, every time.Duration) statusDoc {
	d := statusDoc{Written: time.Now().UTC(), Every: every.String(), Device: s.Device, Addr: s.Addr, Vector: s.Vector,
		ToReceive: s.ToReceive, Received: s.Received, Progress: s.Progress(), LastSync: s.LastSync, Refused: s.RefusedPeers, Held: s.Held, Peers: []peerDoc{}, QuarantinedTotal: s.QuarantinedTotal}
	for _, p := range s.Peers {
		d.Peers = append(d.Peers, peerDoc{Device: p.Device, Addr: p.Addr, LastHeard: p.LastHeard, LastSync: p.LastSync, Ahead: p.Ahead,
			ClockSkewMS: p.ClockSkew.Milliseconds(), SkewWarning: p.SkewWarning})
	}
	d.SiteKeys = s.Keys
	d.KeyRotations = rotationDocs(s.KeyRotations)
	for _, q := range s.Quarantined {
		d.Quarantined = append(d.Quarantined, quarantineDoc{Peer: q.Peer, At: q.At, Event: q.ID, Device: q.Device, Seq: q.Seq, Reason: q.Reason})
	}
	return d
}

// writeStatus replaces the status file atomically; fd is the feed's
// state, nil without --feed.
func writeStatus(dir string, s mesh.Status, every time.Duration, fd *feedDoc) error {
	d := toDoc(s, every)
	d.Feed = fd
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, StatusFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, StatusFile))
}

func sortedKeys(m map[string]uint64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
