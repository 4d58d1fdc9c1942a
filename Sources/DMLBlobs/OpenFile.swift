#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A POSIX file descriptor with the few operations the store needs, each retried on `EINTR`
/// and failing with `BlobError.io` naming the path. POSIX rather than `FileHandle` because
/// durability rests on real `fsync` of files and of directories.
struct OpenFile: ~Copyable {
    let descriptor: Int32
    let path: String

    /// Creates a new file; fails if `path` exists (`O_EXCL`), so two uploads never share a temp file.
    static func createNew(_ path: String) throws(BlobError) -> OpenFile {
        try OpenFile(path: path, flags: O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, operation: "create")
    }

    /// Opens an existing file for reading; `nil` if it does not exist.
    static func openForReading(_ path: String) throws(BlobError) -> OpenFile? {
        do {
            return try OpenFile(path: path, flags: O_RDONLY | O_CLOEXEC, operation: "open")
        } catch .io(_, _, ENOENT) {
            return nil
        }
    }

    /// Opens a directory so that it can be `fsync`ed.
    static func openDirectory(_ path: String) throws(BlobError) -> OpenFile {
        try OpenFile(path: path, flags: O_RDONLY | O_DIRECTORY | O_CLOEXEC, operation: "open directory")
    }

    private init(path: String, flags: Int32, operation: String) throws(BlobError) {
        var descriptor: Int32
        repeat { descriptor = open(path, flags, 0o644) } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else { throw .io(operation: operation, path: path, errno: errno) }
        self.descriptor = descriptor
        self.path = path
    }

    deinit { _ = close(descriptor) }

    /// Writes all of `bytes` at the current position.
    func writeAll(_ bytes: some Collection<UInt8>) throws(BlobError) {
        let written: Int32? = bytes.withContiguousStorageIfAvailable { buffer in
            var rest = UnsafeRawBufferPointer(buffer)
            while !rest.isEmpty {
                let count = write(descriptor, rest.baseAddress, rest.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return count < 0 ? errno : EIO }
                rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(count))
            }
            return 0
        }
        guard let written else { return try writeAll(Array(bytes)) }
        guard written == 0 else { throw .io(operation: "write", path: path, errno: written) }
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    func read(count: Int, at offset: UInt64) throws(BlobError) -> [UInt8] {
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let start = buffer.baseAddress else { return }
            while initialized < count {
                let got = pread(descriptor, start + initialized, count - initialized, off_t(offset) + off_t(initialized))
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else { failure = got < 0 ? errno : 0; return }
                initialized += got
            }
        }
        guard failure == 0 else { throw .io(operation: "read", path: path, errno: failure) }
        return bytes
    }

    /// The file's length in bytes.
    func length() throws(BlobError) -> UInt64 {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .io(operation: "stat", path: path, errno: errno) }
        return UInt64(status.st_size)
    }

    /// Forces the file's data and metadata to stable storage.
    func sync() throws(BlobError) {
        guard fsync(descriptor) == 0 else { throw .io(operation: "fsync", path: path, errno: errno) }
    }
}

/// File-system operations on paths, each failing with `BlobError.io`.
enum FileSystem {
    /// Atomically replaces `destination` with `source` (same file system).
    static func move(_ source: String, to destination: String) throws(BlobError) {
        guard rename(source, destination) == 0 else {
            throw .io(operation: "rename to \(destination)", path: source, errno: errno)
        }
    }

    /// Removes a file; a file already gone is not an error.
    static func remove(_ path: String) throws(BlobError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw .io(operation: "remove", path: path, errno: errno) }
    }

    /// Creates a directory; returns whether it was created (rather than already there).
    @discardableResult
    static func makeDirectory(_ path: String) throws(BlobError) -> Bool {
        guard mkdir(path, 0o755) == 0 else {
            guard errno == EEXIST else { throw .io(operation: "create directory", path: path, errno: errno) }
            return false
        }
        return true
    }

    /// Makes the entries of `directory` (creations, renames, removals) durable.
    static func syncDirectory(_ directory: String) throws(BlobError) {
        try OpenFile.openDirectory(directory).sync()
    }

    /// Whether `path` names an existing file.
    static func exists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0
    }

    /// The names in `directory`, without `.` and `..`; empty if the directory does not exist.
    static func entries(of directory: String) throws(BlobError) -> [String] {
        guard let stream = opendir(directory) else {
            if errno == ENOENT { return [] }
            throw .io(operation: "list", path: directory, errno: errno)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
