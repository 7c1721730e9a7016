package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"lifeboat"
	"lifeboat/store"
	"lifeboat/sync/feed"
	"lifeboat/sync/reconcile"
)

func feedCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "feed",
		Short: "Test the core system feed that keeps the census current",
		Long: `The feed pulls the census from the core system while it is up, so that an
outage starts with today's patients, medicines and allergies on every
device. ` + "`lifeboat serve --feed " + feed.ConfigFile + "`" + ` runs it; ` + "`lifeboat feed pull`" + ` pulls
once, by hand, to test a configuration (see docs/feed.md).`,
		Args: cobra.NoArgs,
	}
	c.AddCommand(feedPullCmd(env))
	return c
}

func feedPullCmd(env *Env) *cobra.Command {
	var (
		who  personFlags
		conf string
	)
	c := &cobra.Command{
		Use:   "pull",
		Short: "Pull the census from the core system once and import it",
		Long: `Read the feed configuration (default: ` + feed.ConfigFile + ` in the data folder),
pull the census once and import it as ` + "`lifeboat import`" + ` would: one census record,
signed as --user, an IT admin. A census the checks refuse is listed line by
line and nothing is imported. If the wards were told the core system is
down, a pull that works tells them it answers again. Stop ` + "`lifeboat serve`" + `
first: both need the data folder.`,
		Example: `  lifeboat feed pull --user "Ada Admin" --pin-file /etc/lifeboat/feed.pin
  lifeboat feed pull --config /etc/lifeboat/feed.json --user "Ada Admin"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if conf == "" {
				dir, err := env.DataDir(cmd)
				if err != nil {
					return err
				}
				conf = filepath.Join(dir, feed.ConfigFile)
			}
			cfg, err := feed.LoadConfig(conf)
			if err != nil {
				return fmt.Errorf("--config: %w", err)
			}
			ctx := cmd.Context()
			db, s, done, err := who.open(ctx, cmd, env)
			if err != nil {
				return err
			}
			defer done()
			r, err := newFeedRunner(cmd, db, s, cfg, feed.Options{Now: env.Feed.Now, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				return err
			}
			p, err := r.PullOnce(ctx)
			if err != nil {
				return importProblems(err)
			}
			printPull(cmd.OutOrStdout(), r.Status(), p)
			return nil
		},
	}
	who.add(c)
	c.Flags().StringVar(&conf, "config", "", "the feed configuration (default: "+feed.ConfigFile+" in the data folder)")
	return c
}

// newFeedRunner checks that s may sign the feed's records and builds its
// runner on db: a bed the census names with no ward goes on the
// configured ward, else this device's own.
func newFeedRunner(cmd *cobra.Command, db *store.DB, s *store.Session, cfg feed.Config, opts feed.Options) (*feed.Runner, error) {
	if s.User.Role != lifeboat.RoleITAdmin {
		return nil, fmt.Errorf("%s is not an IT admin: the feed records when the core system stops and starts answering, which only an IT admin may sign; give an IT admin with --user", s.User.Name)
	}
	// A ward the site does not know yet may be one the census names: the
	// feed cannot check before it pulls, and the admin wrote it.
	ward, _, err := importWard(cmd, db, cfg.Ward)
	if err != nil {
		return nil, err
	}
	src, err := feed.NewSource(cfg, reconcile.CensusOptions{Ward: ward})
	if err != nil {
		return nil, err
	}
	return feed.NewRunner(cfg, src, db, reconcile.StoreAppender(db, s), opts), nil
}

// printPull says what a pull did, with what the census left out.
func printPull(w io.Writer, st feed.Status, p feed.Pull) {
	c := p.Census
	from := st.Source
	if c.Source != "" && c.Source != from {
		from += " (" + c.Source + ")"
	}
	switch {
	case p.Imported:
		n := p.Import.Counts
		fmt.Fprintf(w, "Pulled %s: census as of %s: %d patients (%d new, %d updated), %d admissions, %d transfers, %d medicines added, %d stopped; %d allergies, %d weights; %d events recorded.\n",
			from, c.AsOf.Local().Format("02-Jan-2006 15:04"), n.Patients, n.NewPatients, n.UpdatedPatients, n.Admissions, n.Transfers,
			n.Medicines, n.StoppedMedicines, n.Allergies, n.Weights, p.Import.Events)
	case c.Source != "":
		fmt.Fprintf(w, "Pulled %s: census as of %s is older than the one the ward has (as of %s): nothing imported.\n",
			from, c.AsOf.Local().Format("02-Jan-2006 15:04"), st.AsOf.Local().Format("02-Jan-2006 15:04"))
	default:
		fmt.Fprintf(w, "Pulled %s: nothing new.\n", st.Source)
	}
	printCensusNotes(w, c, p.Import.Counts, "this device's ward (or the feed's \"ward\")")
	if fs := p.Recorded; fs != nil && fs.Up {
		fmt.Fprintf(w, "Recorded for the wards: the core system is answering again (since %s). Reconcile what was recorded during downtime.\n", fs.Since.Local().Format("15:04"))
	}
}

// feedDoc is the feed's part of the status file: no patient data, no
// secret.
type feedDoc struct {
	Source       string    `json:"source"`
	LastAttempt  time.Time `json:"last_attempt,omitzero"`
	LastSuccess  time.Time `json:"last_success,omitzero"`
	AsOf         time.Time `json:"as_of,omitzero"`
	Patients     int       `json:"patients"`
	FailingSince time.Time `json:"failing_since,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
	Problem      string    `json:"problem,omitempty"`
	Down         bool      `json:"down,omitempty"`
	DownSince    time.Time `json:"down_since,omitzero"`
	Refused      string    `json:"refused,omitempty"`
	NextPull     time.Time `json:"next_pull,omitzero"`
}

func toFeedDoc(st feed.Status) *feedDoc {
	return &feedDoc{Source: st.Source, LastAttempt: st.LastAttempt, LastSuccess: st.LastSuccess, AsOf: st.AsOf, Patients: st.Patients,
		FailingSince: st.FailingSince, LastError: st.LastError, Problem: string(st.Problem), Down: st.Down, DownSince: st.DownSince,
		Refused: st.Refused, NextPull: st.NextPull}
}

// printFeed says how the feed is doing:
// "Core system feed: last pull 14:05 (312 patients, as of 14:05); failing since 14:20: connection refused".
func printFeed(w io.Writer, d *feedDoc, now time.Time) {
	if d == nil {
		return
	}
	at := func(t time.Time) string {
		t = t.Local()
		if y, m, day := t.Date(); y == now.Local().Year() && m == now.Local().Month() && day == now.Local().Day() {
			return t.Format("15:04")
		}
		return t.Format("02-Jan 15:04")
	}
	fmt.Fprintf(w, "Core system feed (%s): ", d.Source)
	if d.LastSuccess.IsZero() {
		fmt.Fprint(w, "no pull has worked yet")
	} else {
		fmt.Fprintf(w, "last pull %s", at(d.LastSuccess))
		if !d.AsOf.IsZero() {
			fmt.Fprintf(w, " (%d patients, as of %s)", d.Patients, at(d.AsOf))
		}
	}
	if !d.FailingSince.IsZero() {
		fmt.Fprintf(w, "; failing since %s: %s", at(d.FailingSince), d.LastError)
	}
	fmt.Fprintln(w)
	if d.Down {
		fmt.Fprintf(w, "  The wards are told the core system is unreachable since %s.\n", at(d.DownSince))
	}
	if d.Refused != "" {
		fmt.Fprintf(w, "  Census refused: %s\n", d.Refused)
	}
	if !d.NextPull.IsZero() {
		fmt.Fprintf(w, "  Next pull %s\n", at(d.NextPull))
	}
}

// errFeedFlags is the refusal of --feed without the person who signs.
var errFeedFlags = errors.New("--feed records the census as a person: give an IT admin with --user NAME and their PIN with --pin-file FILE")
