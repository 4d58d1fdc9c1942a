@testable import DMLServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Web console: static files under /console/")
struct ConsoleRoutesTests {
    @Test("every file of the console is served with its type and a strict CSP; / and /console redirect")
    func servesTheConsole() async throws {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/DMLServer/Console")
        // The sources, not the copy made at build time, so the test sees what is on disk now.
        try await APIWorld.with(.sqlite, configure: { $0.consoleDirectory = source.path }) { world in
            let files = try #require(FileManager.default.enumerator(atPath: source.path)?.allObjects as? [String])
                .filter { !$0.hasPrefix(".") && !isDirectory(source.appendingPathComponent($0)) }
            #expect(files.contains("index.html"))
            let app = Application(router: world.server.makeRouter())
            try await app.test(.router) { client in
                for path in ["/", "/console"] {
                    let response = try await client.execute(uri: path, method: .get)
                    #expect(response.status == .found, "\(path)")
                    #expect(response.headers[.location] == "/console/", "\(path)")
                }
                let index = try await client.execute(uri: "/console/", method: .get)
                #expect(index.status == .ok)
                #expect(index.headers[.contentType] == "text/html; charset=utf-8")
                #expect(index.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
                #expect(String(buffer: index.body).contains("<html"))
                for file in files {
                    let response = try await client.execute(uri: "/console/" + file, method: .get)
                    #expect(response.status == .ok, "\(file)")
                    let onDisk = try Data(contentsOf: source.appendingPathComponent(file))
                    #expect(Data(response.body.readableBytesView) == onDisk, "\(file) as on disk")
                }
                for path in ["/console/../server.secret", "/console/%2e%2e/x.html", "/console/missing.js", "/console/index.exe"] {
                    let response = try await client.execute(uri: path, method: .get)
                    #expect(response.status == .notFound, "\(path)")
                }
            }
        }
    }

    @Test("names that could leave the folder, hidden files, links and unknown types are never read")
    func refusesEscapes() throws {
        let root = URL(fileURLWithPath: NSTemporaryDirectory() + "dml-console-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("js"), withIntermediateDirectories: true)
        try Data("<html>".utf8).write(to: root.appendingPathComponent("index.html"))
        try Data("export {}".utf8).write(to: root.appendingPathComponent("js/app.js"))
        try Data("secret".utf8).write(to: root.appendingPathComponent(".env.js"))
        try Data("x".utf8).write(to: root.appendingPathComponent("notes.md"))
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("passwd.txt").path,
                                                   withDestinationPath: "/etc/passwd")
        let files = ConsoleFiles(root: root)
        #expect(try files.read("index.html")?.contentType == "text/html; charset=utf-8")
        #expect(try files.read("js/app.js")?.contentType == "text/javascript; charset=utf-8")
        for name in ["../index.html", "js/../index.html", ".env.js", "notes.md", "passwd.txt", "js", "", "js//app.js",
                     "a/b/c/d/e.js", "index.html\u{0}.js", "inde%78.html"] {
            #expect(try files.read(name) == nil, "\(name)")
        }
        #expect(try ConsoleFiles(root: nil).read("index.html") == nil)
    }

    private func isDirectory(_ url: URL) -> Bool {
        (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true
    }
}
