// Package filestat says whether a file is as it was when last seen, as
// git's index and DVC do: its size, modification and change times and
// inode all match, and it was seen long enough after its last change that
// a change within the clock's granularity would have shown in them.
package filestat
