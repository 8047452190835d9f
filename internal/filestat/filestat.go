package filestat

import (
	"os"
	"time"
)

// Stat is what says a file is unchanged.
type Stat struct {
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime_ns"`
	CTime int64  `json:"ctime_ns"`
	Inode uint64 `json:"inode"`
}

// RacyWindow: a file seen this close to its last change may change again
// without its times showing it, so it is not remembered.
var RacyWindow = 2 * time.Second

// Of is the file's stat (without inode and change time where the system
// has none).
func Of(fi os.FileInfo) Stat {
	s := Stat{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	s.Inode, s.CTime = sys(fi)
	return s
}

// Settled reports whether a file of this stat, seen at t, changed long
// enough before to be remembered.
func (s Stat) Settled(t time.Time) bool {
	return t.Sub(time.Unix(0, max(s.MTime, s.CTime))) >= RacyWindow
}
