package pvesim

import (
	"fmt"
	"math"
	"strconv"
)

// qemuImgChunk is how much qemu-img convert copies between progress
// updates: its I/O buffer, IO_BUF_SIZE (2 MiB, qemu's qemu-img.c).
const qemuImgChunk = 2 << 20

// qemuImgProgress is the task log of a copy by qemu-img convert -p
// (qemu-server src/PVE/QemuServer/QemuImage.pm convert, for a full clone of
// a stopped VM's disk) of a volume of size bytes whose allocated part is
// allocated bytes: qemu prints "(%3.2f/100%)" at 0 (img_convert's
// qemu_progress_print(0, 100)), after each copied chunk of allocated data
// whenever the float percentage moved more than one point since the last
// print or reached 100 (qemu-img.c convert_co_do_copy; util/qemu-progress.c
// qemu_progress_print with qemu_progress_init(1, 1.0)), and 100 once more
// at the end (img_convert "out:" qemu_progress_print(100, 0)), so a copy
// with data ends in two "100.00%" lines. PVE's run_command splits those
// \r-ended pieces into lines (pve-common src/PVE/Cmd.pm) and convert's
// parser turns each into "transferred <render_bytes(int(size*p/100), 1)> of
// <render_bytes(size, 1)> (<p>%)".
func qemuImgProgress(size, allocated int64) []string {
	if size <= 0 {
		return nil
	}
	line := func(current float32) string {
		p := fmt.Sprintf("%3.2f", current)
		pct, _ := strconv.ParseFloat(p, 64) // Perl's numeric value of the printed text
		return fmt.Sprintf("transferred %s of %s (%s%%)", renderBytes(int64(float64(size)*pct/100), 1), renderBytes(size, 1), p)
	}
	var lines []string
	var last float32
	progress := func(current float32) { // qemu_progress_print
		if current > last+1 || current == 100 || current == 0 {
			last = current
			lines = append(lines, line(current))
		}
	}
	progress(0)
	for done := int64(0); done < allocated; {
		done = min(done+qemuImgChunk, allocated)
		progress(float32(100 * float64(done) / float64(allocated)))
	}
	progress(100)
	return lines
}

// allocatedForCopy is how much of a source volume qemu-img convert counts
// as allocated (convert_iteration_sectors: BLK_DATA from the block status;
// zeroes are skipped with the default -S 4k). A block device (LVM,
// LVM-thin, a ZFS zvol) answers SEEK_DATA with "all data" (QEMU
// block/file-posix.c find_allocation), so all of it counts; a file on a
// directory storage (and an RBD image, whose driver reports its extents)
// counts only what was written, and the simulator writes no data (its
// volume info reports used 0).
func allocatedForCopy(sd *storageDef, size int64) int64 {
	if sd != nil && (sd.Type == "lvm" || sd.Type == "lvmthin" || sd.Type == "zfspool") {
		return size
	}
	return 0
}

// renderBytes is pve-common src/PVE/Format.pm render_bytes.
func renderBytes(v int64, precision int) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	value, unit := float64(v), 0
	if v > 1023 {
		unit = int(math.Log(value) / math.Log(1024))
		value /= math.Pow(1024, float64(unit))
	}
	return fmt.Sprintf("%.*f %s", precision, value, units[unit])
}
