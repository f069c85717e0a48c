package pvesim

import (
	"fmt"
	"math"
	"strconv"
)

// The progress lines of a disk copy with qemu-img, as PVE's task log shows
// them. qemu-server src/PVE/QemuServer/QemuImage.pm convert (9.x; 8.2.4:
// QemuServer.pm qemu_img_convert, the same lines) runs "qemu-img convert
// -p -n" through run_command, which splits the output at "\r" as at "\n"
// (pve-common src/PVE/Cmd.pm run_command), and turns each "(<p>/100%)"
// into
//
//	transferred <render_bytes(int($size * $p / 100), 1)> of <render_bytes($size, 1)> (<p>%)
//
// qemu-img (QEMU util/qemu-progress.c with qemu-img.c img_convert) prints
// "    (%3.2f/100%%)\r": 0 at the start (qemu_progress_print(0, 100)), then
// after each copied chunk of allocated data (convert_co_do_copy: at most
// IO_BUF_SIZE, 2 MiB) whenever the float percentage passed the last
// printed one by more than min_skip 1.0 or reached 100, and 100 again at
// the end (img_convert "out:"). So a disk whose data all counts as
// allocated ends in two "100.00%" lines.
//
// What counts as allocated is the source's block status: a block device
// (LVM, LVM-thin, a ZFS zvol: QEMU block/file-posix.c find_allocation,
// whose SEEK_DATA a block device answers with "all data") reports every
// sector as data, a sparse
// file on a directory storage only what was written. The simulator writes
// no data, so a file-backed source copies nothing but the first and last
// lines.

// qemuImgChunk is qemu-img.c IO_BUF_SIZE.
const qemuImgChunk = 2 << 20

// qemuImgProgress returns the task log lines of copying a volume of size
// bytes whose allocated part is allocated bytes.
func qemuImgProgress(size, allocated int64) []string {
	var percents []float32
	var current, lastPrint float32
	print := func(p float32) { // qemu_progress_print
		current = p
		if current > lastPrint+1.0 || current == 100 || current == 0 {
			lastPrint = current
			percents = append(percents, current)
		}
	}
	print(0)
	for done := int64(0); done < allocated; {
		done = min(done+qemuImgChunk, allocated)
		print(float32(100.0 * float64(done) / float64(allocated)))
	}
	print(100)
	lines := make([]string, 0, len(percents))
	for _, p := range percents {
		text := fmt.Sprintf("%.2f", float64(p))
		pct, _ := strconv.ParseFloat(text, 64)
		transferred := int64(float64(size) * pct / 100)
		lines = append(lines, fmt.Sprintf("transferred %s of %s (%s%%)", renderBytes(transferred), renderBytes(size), text))
	}
	return lines
}

// renderBytes is pve-common src/PVE/Format.pm render_bytes($value, 1).
func renderBytes(v int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	value, unit := float64(v), 0
	if v > 1023 {
		unit = int(math.Log(value) / math.Log(1024))
		value /= math.Pow(1024, float64(unit))
	}
	return fmt.Sprintf("%.1f %s", value, units[unit])
}

// allocatedForCopy is how much of a source volume qemu-img counts as
// allocated: all of it on a block device, none of a file the simulator
// never wrote to.
func allocatedForCopy(sd *storageDef, size int64) int64 {
	switch sd.Type {
	case "lvm", "lvmthin", "zfspool":
		return size
	}
	return 0
}
