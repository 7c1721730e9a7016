package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/spf13/cobra"

	"lifeboat/app"
	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/store"
	"lifeboat/sync/mesh"
)

// addSyncFlags gives the app (the root command) the mesh flags `lifeboat
// serve` has: with --join (or --bind), or the ward addresses `lifeboat
// enrol` saved, the app syncs with the ward while it is unlocked.
func addSyncFlags(root *cobra.Command) {
	f := root.Flags()
	f.String("bind", "", "sync with the ward: address and port to listen on (UDP and TCP), e.g. 0.0.0.0:"+strconv.Itoa(mesh.DefaultBindPort))
	f.String("advertise", "", "address and port to tell peers, if not the bound one")
	f.StringSlice("join", nil, "sync with the ward: address:port of a peer to join (repeat or comma-separate)")
}

// syncConfig reads the mesh flags, else the ward addresses `lifeboat
// enrol` saved in the data folder dir; ok is false when sync was not
// asked for either way.
func syncConfig(cmd *cobra.Command, dir string) (cfg mesh.Config, ok bool, err error) {
	bind, _ := cmd.Flags().GetString("bind")
	advertise, _ := cmd.Flags().GetString("advertise")
	join, _ := cmd.Flags().GetStringSlice("join")
	if bind == "" && len(join) == 0 {
		conf, err := cli.LoadSyncConf(dir)
		if err != nil || len(conf.Join) == 0 {
			return mesh.Config{}, false, err
		}
		join = conf.Join
	}
	if bind == "" {
		bind = net.JoinHostPort("0.0.0.0", strconv.Itoa(mesh.DefaultBindPort))
	}
	cfg, err = cli.MeshConfig(bind, advertise, join)
	return cfg, err == nil, err
}

// meshStarter returns the app's StartSync: a mesh node over db, and the
// ward summaries of the wards this device holds kept current for the
// site's capacity view (store.RunWardSummaries, as `lifeboat serve`
// does), running until the function it returns is called (the app calls
// it on lock).
func meshStarter(db *store.DB, cfg mesh.Config, log *slog.Logger) func(context.Context) (app.Sync, func(), error) {
	return func(context.Context) (app.Sync, func(), error) {
		c := cfg
		c.Store, c.Logger = db, log
		node, err := mesh.New(c)
		if err != nil {
			return nil, nil, fmt.Errorf("start sync: %w", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- node.Run(ctx) }()
		summaries := make(chan struct{})
		go func() { defer close(summaries); _ = db.RunWardSummaries(ctx, 0) }()
		return node, func() {
			cancel()
			<-summaries
			if err := <-done; err != nil {
				log.Warn("sync stopped", "err", err)
			}
		}, nil
	}
}
