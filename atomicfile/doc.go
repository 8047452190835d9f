// Package atomicfile writes files whole or not at all: a file is written
// as a temporary file beside its destination and renamed into place, so a
// failure, an interrupt or a kill leaves either the earlier file or the
// new one, never a part. The temporary file is locked while it is written,
// so that CleanStale removes the leftovers of killed writers and never a
// live writer's file. A large file's bytes are sent to disk as they are
// written (every 8 MiB, where the system allows), so the sync before the
// rename waits for the last of them only.
package atomicfile
