// Package invoke runs the uploader's bootstrap once, on one SQS event file, under the Lambda Runtime Interface Emulator against an in-process S3 and SQS, and reports what the function answered, logged, stored and dead-lettered.
package invoke
