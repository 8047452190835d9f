// Package storetest is the conformance suite every featurestore.Registry
// implementation must pass: Run it from the implementation's tests.
package storetest
