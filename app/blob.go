package app

import "github.com/fs-dev/fs/blob/s3"

// The stores of the URI schemes fs reads and writes itself: s3:// through
// the AWS SDK, configured from the environment on first use.
func init() { s3.Register() }
