//go:build !(linux && (amd64 || arm64))

package realtime

import "syscall"

// poller is Linux's epoll reader (poll_linux.go); elsewhere every
// websocket viewer has a reader goroutine of its own.
type poller struct{}

func getPoller() *poller { return nil }

func (p *poller) add(*viewer, int, func()) error { return errNoPoller }

func shutdownConn(syscall.RawConn) error { return errNoPoller }
