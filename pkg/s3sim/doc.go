// Package s3sim puts S3's bad days in front of any S3-compatible http.Handler:
// a per-prefix token bucket that answers S3's exact 503 SlowDown (and may
// split under sustained demand, or fall mid-run), outages on a schedule, and
// random or scripted faults (500 InternalError, dropped connections, hangs,
// 403s, corrupted bodies). Tests, the benchmark and the local demo wrap an
// in-process S3 or a reverse proxy to a local one with these handlers.
//
// Every handler here is safe for concurrent use.
package s3sim
