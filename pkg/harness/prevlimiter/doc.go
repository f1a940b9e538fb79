// Package prevlimiter is the send-rate limiter the function shipped before
// its share law (pkg/retry's ShareLaw): an adaptive rate with a binomial
// likelihood-ratio test of each cut, 13 settings and 6 hidden constants. It
// lives on only as a benchmark strategy, so that the matrix and the fleet
// simulation measure the new law beside the one it replaced.
package prevlimiter
