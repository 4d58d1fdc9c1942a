/// The host ABI, version 1: everything a guest module can reach.
///
/// A module imports only these functions, from module `dml`; anything else (WASI, a clock, a
/// random source, a socket, a file) is refused before the module runs, so a run is a pure
/// function of the module and its input bytes. Pointers and lengths are `i32`.
///
/// | import | type | what it does |
/// |---|---|---|
/// | `input_size` | `() -> i32` | bytes of input |
/// | `input_read` | `(dst, offset, len) -> i32` | copies up to `len` input bytes from `offset` to `dst`; returns the count (0 at the end) |
/// | `output_write` | `(src, len) -> i32` | appends `len` bytes to the output; returns 0; the run stops if the output outgrows its cap |
/// | `log` | `(src, len)` | one UTF-8 line for the run's log (kept: `logLinesMax` lines of `logLineBytesMax` bytes) |
///
/// The module exports `memory` and the manifest's entry function, `() -> i32`: 0 is success,
/// anything else a guest error code. A pointer range outside memory or a negative argument
/// traps (`RunOutcome.trap`).
public enum HostABI {
    public static let version = 1
    public static let importModule = "dml"
    public static let memoryExport = "memory"
    public static let logLinesMax = 64
    public static let logLineBytesMax = 1_024

    /// Import name → (parameter count, result count); every value is an `i32`.
    public static let imports: [String: (parameters: Int, results: Int)] = [
        "input_size": (0, 1),
        "input_read": (3, 1),
        "output_write": (2, 1),
        "log": (2, 0),
    ]
}
