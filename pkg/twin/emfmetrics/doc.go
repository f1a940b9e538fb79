// Package emfmetrics turns CloudWatch Embedded Metric Format (EMF) log lines
// into CloudWatch metrics on a local AWS, as CloudWatch Logs' own extraction
// does in the cloud. moto stores the log events the twin ships but never
// extracts their metrics, so without this package `get-metric-statistics`
// finds nothing locally.
//
// Parse is the pure part: one line in, the datums CloudWatch would publish
// out, or the error for which CloudWatch would reject the document. A
// Publisher is fed lines (hand its Add to logship.Config.Echo, which has
// split the function's output into lines already), and sends their datums with PutMetricData in the
// background (a logship.Queue), per namespace, within PutMetricData's limits (1,000 datums
// and 1 MB a call, 150 distinct values a datum). Each datum keeps its
// document's timestamp.
//
// # moto
//
// service/cloudwatch v1.76.0 speaks Smithy RPC v2 CBOR, which moto 5.2.1
// does not (404). Build the client with the query protocol,
//
//	cloudwatch.NewFromConfig(moto.AWSConfig(endpoint), moto.CloudWatchOptions)
//
// which moto serves with and without the SDK's gzip request compression, so
// DisableRequestCompression may stay false. (With awsJson1_0 moto fails on
// gzipped bodies with 500: that protocol would also need
// DisableRequestCompression.) moto accepts standard-resolution data in
// GetMetricStatistics and GetMetricData queries with Period 1 and answers
// one point per second; CloudWatch itself keeps standard-resolution data
// per minute. moto stamps each GetMetricStatistics datapoint with the time
// of the first datum in its period, not the period's start. moto's
// GetMetricData with dimensions ignores the namespace:
// query metrics whose names and dimensions are unique across namespaces.
package emfmetrics
