import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The web console: plain HTML, CSS and ES modules (no build step) under `/console/`, talking to
/// the same server's `/v1` API. `/` sends a browser there.
struct ConsoleRoutes: Sendable {
    let files: ConsoleFiles

    func register(on router: Router<APIContext>) {
        router.get("/") { _, _ in Self.redirect(to: "/console/") }
        router.get("/console") { request, _ in try serve(request: request, path: []) }
        router.get("/console/**") { request, context in
            try serve(request: request, path: context.parameters.getCatchAll().map(String.init))
        }
    }

    private func serve(request: Request, path: [String]) throws -> Response {
        // Relative links in index.html only resolve under a trailing slash.
        if path.isEmpty && !request.uri.path.hasSuffix("/") { return Self.redirect(to: "/console/") }
        let relative = path.isEmpty ? "index.html" : path.joined(separator: "/")
        guard let file = try files.read(relative) else {
            throw APIError(.notFound, "console.not_found",
                           files.root == nil
                               ? "The console's files were not found next to this binary; set DML_CONSOLE_DIR to the Console folder."
                               : "No console file \(relative).")
        }
        return Response(status: .ok, headers: Self.headers(contentType: file.contentType),
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }

    private static func redirect(to location: String) -> Response {
        Response(status: .found, headers: [.location: location])
    }

    /// The console loads nothing from elsewhere and runs no inline script: a page that somehow
    /// rendered attacker text still could not run it or send it away.
    private static func headers(contentType: String) -> HTTPFields {
        var fields = HTTPFields()
        fields[.contentType] = contentType
        fields[.cacheControl] = "no-cache"
        fields[.contentSecurityPolicy] =
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            + "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
        fields[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        fields[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        return fields
    }
}

/// Where the console's files come from: `DML_CONSOLE_DIR` (read on every request, so a developer
/// edits without rebuilding), else the resource folder SwiftPM copies next to the binary, else the
/// source tree this binary was built from.
struct ConsoleFiles: Sendable {
    struct File: Sendable {
        let bytes: [UInt8]
        let contentType: String
    }

    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8", "svg": "image/svg+xml", "png": "image/png",
        "json": "application/json", "ico": "image/x-icon", "txt": "text/plain; charset=utf-8",
    ]
    /// A console file is small; anything bigger is a mistake, not something to send.
    static let maxFileBytes = 4 << 20

    let root: URL?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        root = Self.locate(environment: environment)
    }

    init(root: URL?) { self.root = root }

    /// The file at `relative` (slash-separated), or nil when there is none or the name could
    /// escape the folder or has a type the console does not serve.
    func read(_ relative: String) throws -> File? {
        guard let root else { return nil }
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count <= 4,
              parts.allSatisfy({ !$0.isEmpty && !$0.hasPrefix(".") && $0.allSatisfy(Self.isNameCharacter) }),
              let dot = relative.lastIndex(of: "."),
              let contentType = Self.contentTypes[String(relative[relative.index(after: dot)...]).lowercased()]
        else { return nil }
        let url = parts.reduce(root) { $0.appendingPathComponent(String($1)) }
        // A link inside the folder (to a file or a directory) must not lead outside it.
        let realRoot = root.resolvingSymlinksInPath().path
        guard url.resolvingSymlinksInPath().path.hasPrefix(realRoot + "/") else { return nil }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let size = attributes[.size] as? Int, size <= Self.maxFileBytes
        else { return nil }
        return File(bytes: [UInt8](try Data(contentsOf: url)), contentType: contentType)
    }

    private static func isNameCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "-_.".contains(character))
    }

    private static func locate(environment: [String: String]) -> URL? {
        // Named explicitly, it is used even if wrong, so a mistake shows as 404s, not old files.
        if let folder = environment["DML_CONSOLE_DIR"], !folder.isEmpty { return URL(fileURLWithPath: folder) }
        var candidates: [URL] = []
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let besideBinary = Bundle.main.executableURL.map { [$0.resolvingSymlinksInPath(), executable] } ?? [executable]
        for binary in besideBinary {
            candidates.append(binary.deletingLastPathComponent()
                .appendingPathComponent("dml_DMLServer.resources").appendingPathComponent("Console"))
        }
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Console"))
        return candidates.first { url in
            FileManager.default.fileExists(atPath: url.appendingPathComponent("index.html").path)
        }
    }
}
