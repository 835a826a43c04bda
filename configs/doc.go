// Package configs holds hybridcon's configuration: the typed [Config] struct,
// its loader and its checks, the default file hybridcon.yaml, and the
// Dockerfile used by the clustered setup (docker-compose.yml at the top of the
// repository).
//
// A configuration is built once at start-up by [Load] — defaults, then the
// YAML file, then HYBRIDCON_* environment variables — and passed down by
// value. There is no global configuration; nothing else in the program reads
// the environment for these settings.
//
// Every setting is listed in [Vars], which the README and the tests use, so
// the documentation cannot drift from the loader.
//
// Error messages name the setting the way the user wrote it: the environment
// variable when the value came from the environment, or the file, line and
// key when it came from the YAML file, for example
//
//	HYBRIDCON_REGION="xx": unknown region (known: cn, hu)
//	configs/hybridcon.yaml:12: region="xx": unknown region (known: cn, hu)
//
// Secrets (the admin token, passwords in URLs) never appear in messages.
//
// This package imports nothing from the rest of hybridcon.
package configs
