package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"lifeboat/sync/reconcile"
)

func worklistCmd(env *Env) *cobra.Command {
	var (
		passFile, out, by, status, ward string
	)
	c := &cobra.Command{
		Use:   "worklist",
		Short: "List the back-entry worklist: what is left to put into the core systems",
		Long: `List every downtime record that goes back to the core systems with its
back-entry status (pending, sent, accepted, rejected with the server's
reason, entered by hand, verified), as CSV. With --by ward or --by patient,
print what is left per ward or per patient instead.`,
		Example: `  lifeboat worklist --status rejected
  lifeboat worklist --by ward --out left-per-ward.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if status != "" && !reconcile.Status(status).Valid() {
				return fmt.Errorf("--status %q: choose one of %s", status, statusNames())
			}
			if by != "" && by != "ward" && by != "patient" {
				return fmt.Errorf("--by %q: choose ward or patient", by)
			}
			ctx := cmd.Context()
			db, err := openUnlocked(ctx, cmd, env, env.prompter(cmd.ErrOrStderr()), passFile)
			if err != nil {
				return err
			}
			defer db.Close()
			events, err := wholeLog(ctx, db)
			if err != nil {
				return err
			}
			items := slices.DeleteFunc(reconcile.Worklist(events), func(it reconcile.Item) bool {
				return (status != "" && string(it.Status) != status) || (ward != "" && it.Ward != ward)
			})
			var w io.Writer = cmd.OutOrStdout()
			if out != "" {
				f, err := os.OpenFile(out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
				if err != nil {
					return fmt.Errorf("write worklist: %w", err)
				}
				defer f.Close()
				w = f
			}
			if by != "" {
				err = reconcile.WriteSummaryCSV(w, items, by)
			} else {
				err = reconcile.WriteItemsCSV(w, items)
			}
			if err != nil {
				return fmt.Errorf("write worklist: %w", err)
			}
			if out != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "%d records written to %s\n", len(items), out)
			}
			return nil
		},
	}
	c.Flags().StringVar(&passFile, "passphrase-file", "", "read the ward passphrase from this file")
	c.Flags().StringVar(&out, "out", "", "write the CSV to this new file instead of the screen")
	c.Flags().StringVar(&by, "by", "", "summarise what is left per ward or per patient")
	c.Flags().StringVar(&status, "status", "", "only records with this status ("+statusNames()+")")
	c.Flags().StringVar(&ward, "ward", "", "only records from this ward (its ID)")
	return c
}

func statusNames() string {
	var s []string
	for _, st := range reconcile.Statuses {
		s = append(s, string(st))
	}
	return strings.Join(s, ", ")
}
