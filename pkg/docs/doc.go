// Package docs checks that the README's examples run as written.
//
// It holds tests only. They read README.md at the module root: every
// command of its sh blocks, and every make or go run command quoted inline,
// is either run here (those that need no cloud account and take seconds)
// or listed with the reason it is not; every link inside the README names
// a heading or anchor it has, and every relative link a file that exists.
package docs
