package pvesim

import (
	"fmt"
	"math"
	"strconv"
)

// qemuImgChunk is how much qemu-img convert copies between progress
// updates: its I/O buffer, IO_BUF_SIZE (2 MiB, qemu's qemu-img.c).
const qemuImgChunk = 2 << 20

// qemuImgProgress is the task log of a full copy by qemu-img convert -p
// (qemu-server src/PVE/QemuServer/QemuImage.pm convert, for a full clone of
// a stopped VM's disk): qemu prints "(%3.2f/100%)" at 0, whenever the
// progress has moved more than one point since the last print, and at 100
// (util/qemu-progress.c qemu_progress_print with qemu_progress_init(1,
// 1.0)); PVE's run_command splits those \r-ended pieces into lines
// (pve-common src/PVE/Cmd.pm) and convert's parser turns each into
// "transferred <render_bytes(int(size*p/100), 1)> of <render_bytes(size,
// 1)> (<p>%)". The simulator copies as if every chunk held data.
func qemuImgProgress(size int64) []string {
	if size <= 0 {
		return nil
	}
	chunks := (size + qemuImgChunk - 1) / qemuImgChunk
	line := func(current float32) string {
		p := fmt.Sprintf("%3.2f", current)
		pct, _ := strconv.ParseFloat(p, 64) // Perl takes the printed text as the number
		return fmt.Sprintf("transferred %s of %s (%s%%)", renderBytes(int64(float64(size)*pct/100), 1), renderBytes(size, 1), p)
	}
	lines := []string{line(0)}
	var last float32
	for done := int64(1); done <= chunks; done++ {
		current := float32(100 * float64(done) / float64(chunks))
		if current > last+1 || current == 100 {
			last = current
			lines = append(lines, line(current))
		}
	}
	return lines
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
