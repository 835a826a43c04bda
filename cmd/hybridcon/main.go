// Command hybridcon runs the hybridcon server and its admin commands.
//
//	hybridcon [serve]        run the server (default)
//	hybridcon migrate        apply database migrations and exit
//	hybridcon version        print the version
//	hybridcon users …        list users, create one, reset a password
//	                         (the way back in when the admin password is lost)
//
// Every command takes --config FILE (default configs/hybridcon.yaml when
// present); HYBRIDCON_* environment variables override the file.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}
