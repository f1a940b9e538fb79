// Package logship turns the output of a Lambda Runtime Interface Emulator
// into a CloudWatch Logs stream, the way Lambda writes a function's logs:
// one stream per execution environment, named like
// "2026/11/29/[$LATEST]0123abcd...", holding the platform's START, END and
// REPORT lines around the function's own lines.
//
// A Shipper is an io.Writer: hand it to the emulator as its output. It
// drops the emulator's own diagnostics ("... [INFO] (rapid) ..."), writes
// "Task timed out after N seconds" where the emulator resets a timed-out
// runtime, and, for functions with the JSON log format, writes the platform
// lines as platform.start and platform.report JSON records. Events are
// sent with PutLogEvents in the background and on Close.
//
// The Shipper holds its events in a Queue, which hands what it holds to a
// send function on every tick, on Flush and on Close; emfmetrics.Publisher
// queues its lines in one too.
package logship
