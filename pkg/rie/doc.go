// Package rie runs a Lambda function's bootstrap under the AWS Lambda
// Runtime Interface Emulator (aws-lambda-rie) and invokes it over HTTP.
//
// BuildBootstrap builds a bootstrap with the flags of the deployed build
// (the stack's app, make invoke and the cold-start benchmark all use it),
// and FindEmulator finds the emulator `make rie` installs.
//
// The emulator serves one invocation at a time, so an Emulator serializes
// its invokes and a Pool holds one emulator per concurrent invocation.
// Both of an emulator's addresses are bound to 127.0.0.1 on free ports;
// each emulator runs in its own process group and Stop kills that group.
//
// Invoke classifies the answer the way the Lambda service reports it to an
// event source: a function error (a returned error or a panic) and a
// timeout are errors of type *FunctionError; anything else is the
// function's response payload.
package rie
