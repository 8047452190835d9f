//go:build !unix

package parquet

import "os"

// mapFile maps nothing here: the reader copies pages with ReadAt.
func mapFile(*os.File, int64) []byte { return nil }

func unmapFile([]byte) {}
