/// The JSON form: one flat object, `name` and the parameters that name takes, nothing else.
///
/// Every rejection is a `DecodingError` whose message says what to write instead, so an API
/// that decodes a job specification reports it as it reports any malformed field.
extension StrategySpec: Codable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ stringValue: String) { self.stringValue = stringValue }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let name = try container.decode(String.self, forKey: Key("name"))
        func invalid(_ key: String, _ message: String) -> DecodingError {
            DecodingError.dataCorruptedError(forKey: Key(key), in: container, debugDescription: message)
        }
        guard let allowed = Self.names.first(where: { $0.name == name })?.parameters else {
            let known = Self.names.map(\.name).joined(separator: ", ")
            throw invalid("name", "unknown strategy \"\(name)\"; the strategies are \(known)")
        }
        let unexpected = container.allKeys.map(\.stringValue).filter { $0 != "name" && !allowed.contains($0) }
        if let key = unexpected.min() {
            let takes = allowed.isEmpty ? "takes no parameters" : "takes only \(allowed.joined(separator: ", "))"
            throw invalid(key, "\(name) \(takes), not \"\(key)\"")
        }
        func required<Value: Decodable>(_ key: String, _ meaning: String) throws -> Value {
            guard container.contains(Key(key)) else {
                throw DecodingError.keyNotFound(Key(key), DecodingError.Context(
                    codingPath: container.codingPath, debugDescription: "\(name) needs \"\(key)\" (\(meaning))"))
            }
            return try container.decode(Value.self, forKey: Key(key))
        }
        switch name {
        case "fedavg": self = .fedAvg
        case "fedprox": self = .fedProx(mu: try required("mu", "the proximal coefficient, for example 0.01"))
        case "fedmedian": self = .fedMedian
        case "fedtrimmedavg":
            let beta = try container.decodeIfPresent(Double.self, forKey: Key("beta"))
            let trim = try container.decodeIfPresent(Int.self, forKey: Key("trim"))
            switch (beta, trim) {
            case (let beta?, nil): self = .fedTrimmedAvg(.fraction(beta))
            case (nil, let trim?): self = .fedTrimmedAvg(.count(trim))
            default:
                throw invalid("beta", "fedtrimmedavg needs exactly one of \"beta\" (the fraction trimmed from each end, "
                                  + "for example 0.2) or \"trim\" (a count)")
            }
        case "krum": self = .krum(byzantine: try required("byzantine", "the most bad updates tolerated"))
        case "multikrum":
            self = .multiKrum(byzantine: try required("byzantine", "the most bad updates tolerated"),
                              selection: try required("selection", "how many of the best updates are averaged"))
        default:
            preconditionFailure("StrategySpec.names lists \(name) but decoding does not know it")
        }
        if let problem { throw invalid(Self.parameterKey(of: self), problem) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(name, forKey: Key("name"))
        switch self {
        case .fedAvg, .fedMedian: break
        case .fedProx(let mu): try container.encode(mu, forKey: Key("mu"))
        case .fedTrimmedAvg(.fraction(let beta)): try container.encode(beta, forKey: Key("beta"))
        case .fedTrimmedAvg(.count(let count)): try container.encode(count, forKey: Key("trim"))
        case .krum(let byzantine): try container.encode(byzantine, forKey: Key("byzantine"))
        case .multiKrum(let byzantine, let selection):
            try container.encode(byzantine, forKey: Key("byzantine"))
            try container.encode(selection, forKey: Key("selection"))
        }
    }

    /// The key an out-of-range error points at.
    private static func parameterKey(of spec: StrategySpec) -> String {
        switch spec {
        case .fedAvg, .fedMedian: "name"
        case .fedProx: "mu"
        case .fedTrimmedAvg(.fraction): "beta"
        case .fedTrimmedAvg(.count): "trim"
        case .krum: "byzantine"
        case .multiKrum(let byzantine, _): (0...byzantineMax).contains(byzantine) ? "selection" : "byzantine"
        }
    }
}
