package storage

import (
	"sync"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
)

// pinSQLiteAllocator keeps one block of every small size class of the
// SQLite driver's C heap allocated for the life of the process.
//
// The pure-Go driver's allocator (modernc.org/memory) carves each size
// class out of 1 MiB pages it maps with mmap, and unmaps a page the moment
// its last block is freed. A write transaction allocates blocks that no
// other live allocation shares a class with (the 1 KiB chunks of SQLite's
// in-memory statement journal, for one) and frees them at commit, so
// every transaction mapped a page, faulted it in and unmapped it again —
// 18 % of an announcement's CPU in its profile, and each munmap of a
// multithreaded process interrupts the other CPUs to flush their TLBs
// (docs/benchmarks.md, "The announcement's own cost"). With one block
// pinned, a class's first page never empties and is reused. The cost is
// one resident block per class (15 classes, under 128 KiB in all) and
// their pages' address space.
func pinSQLiteAllocator() {
	pinOnce.Do(func() {
		tls := libc.NewTLS()
		defer tls.Close()
		// Classes are powers of two from 16 bytes to a quarter of the
		// allocator's 1 MiB page; larger blocks are always mapped alone.
		for size := 16; size <= 256<<10; size <<= 1 {
			libc.Xmalloc(tls, types.Size_t(size))
		}
	})
}

var pinOnce sync.Once
