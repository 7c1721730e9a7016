//go:build windows

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"

	"lifeboat/cmd/lifeboat/cli"
)

// serviceAccount runs the relay: it has no rights on the PC beyond a
// user's and none on other machines (the mesh needs none), and IT gives
// it Modify on the data folder and Read on the passphrase file.
const serviceAccount = `NT AUTHORITY\LocalService`

// stopWait is how long Windows is told a stop may take (the node leaves
// the mesh and closes the store).
const stopWait = 30 * time.Second

// isService reports whether this process was started by the service
// control manager.
func isService() bool {
	ok, err := svc.IsWindowsService()
	return err == nil && ok
}

// serviceManager is the Windows service control manager.
func serviceManager() cli.ServiceManager { return windowsServices{} }

type windowsServices struct{}

// Install creates the service (automatic start, delayed so the network is
// up, restarted a minute after a failure), registers its event log source
// and starts it.
func (windowsServices) Install(exe string, args []string) error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connect to the service manager (run as an administrator): %w", err)
	}
	defer m.Disconnect()
	if s, err := m.OpenService(cli.ServiceName); err == nil {
		s.Close()
		return fmt.Errorf("the %s service is already installed: remove it first with --uninstall-service", cli.ServiceName)
	}
	s, err := m.CreateService(cli.ServiceName, exe, mgr.Config{
		DisplayName:      "Lifeboat relay",
		Description:      "Keeps this PC's Lifeboat store in step with the ward's devices (lifeboat serve).",
		StartType:        mgr.StartAutomatic,
		ServiceStartName: serviceAccount,
	}, args...)
	if err != nil {
		return fmt.Errorf("create the service: %w", err)
	}
	defer s.Close()
	// Delayed, so the network is up. Set apart: mgr.Config's
	// DelayedAutoStart deletes the new service if this fails, as it does
	// under Wine, which lacks it; the service starts with the PC either way.
	delayed := windows.SERVICE_DELAYED_AUTO_START_INFO{IsDelayedAutoStartUp: 1}
	_ = windows.ChangeServiceConfig2(s.Handle, windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO, (*byte)(unsafe.Pointer(&delayed)))
	_ = s.SetRecoveryActions([]mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: time.Minute},
		{Type: mgr.ServiceRestart, Delay: time.Minute},
		{Type: mgr.ServiceRestart, Delay: 5 * time.Minute},
	}, uint32((24 * time.Hour).Seconds()))
	if err := eventlog.InstallAsEventCreate(cli.ServiceName, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil &&
		!strings.Contains(err.Error(), "exists") {
		return fmt.Errorf("register the event log source: %w", err)
	}
	if err := s.Start(); err != nil {
		return fmt.Errorf("start the service (installed; see the Application event log): %w", err)
	}
	return nil
}

// Remove stops the service, waiting for it to stop, and deletes it and its
// event log source.
func (windowsServices) Remove() error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connect to the service manager (run as an administrator): %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(cli.ServiceName)
	if err != nil {
		return fmt.Errorf("the %s service is not installed: %w", cli.ServiceName, err)
	}
	defer s.Close()
	if st, err := s.Control(svc.Stop); err == nil {
		deadline := time.Now().Add(stopWait)
		for st.State != svc.Stopped && time.Now().Before(deadline) {
			time.Sleep(300 * time.Millisecond) // the service manager has no wait call
			if st, err = s.Query(); err != nil {
				break
			}
		}
	} else if !errors.Is(err, windows.ERROR_SERVICE_NOT_ACTIVE) {
		return fmt.Errorf("stop the service: %w", err)
	}
	if err := s.Delete(); err != nil {
		return fmt.Errorf("delete the service: %w", err)
	}
	_ = eventlog.Remove(cli.ServiceName)
	return nil
}

// runService runs lifeboat with args (the command line the service was
// installed with: --data DIR serve ...) as a Windows service: the same
// serve loop, stopped gracefully (leaving the mesh) when Windows stops the
// service or shuts down. Its output goes to the Application event log.
func runService(args []string) int {
	var out, errs io.Writer = io.Discard, io.Discard
	if l, err := eventlog.Open(cli.ServiceName); err == nil {
		defer l.Close()
		out, errs = newEventWriter(l.Info), newEventWriter(l.Error)
	}
	h := &serviceHandler{args: args, stdout: out, stderr: errs}
	if err := svc.Run(cli.ServiceName, h); err != nil {
		fmt.Fprintf(errs, "lifeboat: run as a service: %v\n", err)
		return 1
	}
	return h.code
}

type serviceHandler struct {
	args           []string
	stdout, stderr io.Writer
	code           int
}

// Execute is the service's life: serve runs until it ends or Windows asks
// it to stop.
func (h *serviceHandler) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- run(ctx, h.args, h.stdout, h.stderr) }()
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for {
		select {
		case h.code = <-done:
			return h.code != 0, uint32(h.code) // a service-specific exit code
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				status <- svc.Status{State: svc.StopPending, WaitHint: uint32(stopWait.Milliseconds())}
				cancel()
				select {
				case h.code = <-done:
				case <-time.After(stopWait):
					h.code = 1
				}
				return h.code != 0, uint32(h.code)
			}
		}
	}
}

// eventWriter writes each whole line it is given as an event.
type eventWriter struct {
	mu   sync.Mutex
	log  func(eid uint32, msg string) error
	part []byte
}

func newEventWriter(log func(uint32, string) error) *eventWriter { return &eventWriter{log: log} }

func (w *eventWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			return len(p), nil
		}
		if line := strings.TrimRight(string(w.part[:i]), "\r"); line != "" {
			_ = w.log(1, line)
		}
		w.part = w.part[i+1:]
	}
}
