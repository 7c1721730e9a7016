package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/sync/reconcile"
	"lifeboat/sync/reconcile/paper"
)

func worklistCmd(env *Env) *cobra.Command {
	var (
		passFile, out, by, status, ward, pdf string
	)
	c := &cobra.Command{
		Use:   "worklist",
		Short: "List the back-entry worklist: what is left to put into the core systems",
		Long: `List every downtime record that goes back to the core systems with its
back-entry status (pending, sent, accepted, rejected with the server's
reason, entered by hand, verified), as CSV. With --by ward or --by patient,
print what is left per ward or per patient instead. Records that share an
NHS number (registered on devices that were apart) are named first, on
standard error, as merges to make before sending. With --pdf, write the
same report as a PDF to print: what is left per ward (or --by patient),
then every record not yet done with the server's reason.`,
		Example: `  lifeboat worklist --status rejected
  lifeboat worklist --by ward --out left-per-ward.csv
  lifeboat worklist --pdf left.pdf --by patient`,
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
			// Records sharing an NHS number (registered on devices that
			// were apart) are merged before anything else goes back: said
			// on stderr, so the CSV stays clean.
			shared, err := reconcile.SharedNHS(ctx, db)
			if err != nil {
				return err
			}
			for _, sr := range shared {
				fmt.Fprintf(cmd.ErrOrStderr(), "MERGE NEEDED: NHS number %s is held by %s: merge them on the Reconciliation worklist (Records to merge) before sending\n",
					forms.FormatNHSNumber(sr.NHSNumber), plural(1+len(sr.Others), "record"))
			}
			items := slices.DeleteFunc(reconcile.Worklist(events), func(it reconcile.Item) bool {
				return (status != "" && string(it.Status) != status) || (ward != "" && it.Ward != ward)
			})
			if pdf != "" {
				return worklistPDF(cmd, db, items, by, pdf)
			}
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
	c.Flags().StringVar(&pdf, "pdf", "", "write the report as a PDF to this new file")
	return c
}

func statusNames() string {
	var s []string
	for _, st := range reconcile.Statuses {
		s = append(s, string(st))
	}
	return strings.Join(s, ", ")
}

// worklistPDF writes the back-entry report as a PDF (per ward unless by
// is "patient").
func worklistPDF(cmd *cobra.Command, db *store.DB, items []reconcile.Item, by, out string) error {
	if by == "" {
		by = "ward"
	}
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("--pdf %s already exists: choose a new file", out)
	}
	info, err := db.Site(cmd.Context())
	if err != nil {
		return plain(err)
	}
	book := paper.New(paper.Header{SiteID: info.SiteID, Site: info.SiteName, WardID: info.Ward, Ward: info.Ward,
		PrintedAt: time.Now(), PrintedBy: "lifeboat worklist", Drill: info.Drill})
	book.Worklist(items, by)
	var buf bytes.Buffer
	if err := book.Output(&buf); err != nil {
		return err
	}
	if err := writeFileAtomic(out, buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s, %s, written to %s\n", plural(len(items), "record"), plural(len(book.Pages()), "page"), out)
	return nil
}
