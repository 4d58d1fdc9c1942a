import DMLCore

extension Event {
    /// The typed event of any built-in module, as text (`posted(#3, owner: dml1…, total: 10 DML)`),
    /// or `"<module> event"` when no built-in module decodes it.
    public var text: String {
        let typed: (any ModuleEvent)? = switch module {
        case .balances: BalancesEvent(self)
        case .roles: RolesEvent(self)
        case .registry: RegistryEvent(self)
        case .vouchers: VouchersEvent(self)
        case .marketplace: MarketplaceEvent(self)
        case .bounties: BountiesEvent(self)
        case .tasks: TasksEvent(self)
        case .jobs: JobsEvent(self)
        case .federated: FederatedEvent(self)
        case .privacy: PrivacyEvent(self)
        case .storage: StorageEvent(self)
        default: nil
        }
        return typed.map { String(describing: $0) } ?? "\(module) event"
    }

    /// The event's kind: the case name (`posted`, `transferred`, …).
    public var name: String { Self.caseName(of: text) }

    /// The case name and the text, from one rendering (rendering reflects over the typed event,
    /// which is what costs: callers that want both should ask once).
    public var nameAndText: (name: String, text: String) {
        let text = text
        return (Self.caseName(of: text), text)
    }

    static func caseName(of text: String) -> String {
        String(text.prefix { $0 != "(" && $0 != " " })
    }
}

extension Call {
    /// The typed call of any built-in module, as text, or `"<module> call"`.
    public var text: String {
        let typed: (any ModuleCall)? = switch module {
        case .balances: try? BalancesCall(canonicalBytes: body)
        case .roles: try? RolesCall(canonicalBytes: body)
        case .registry: try? RegistryCall(canonicalBytes: body)
        case .vouchers: try? VouchersCall(canonicalBytes: body)
        case .marketplace: try? MarketplaceCall(canonicalBytes: body)
        case .bounties: try? BountiesCall(canonicalBytes: body)
        case .tasks: try? TasksCall(canonicalBytes: body)
        case .jobs: try? JobsCall(canonicalBytes: body)
        case .federated: try? FederatedCall(canonicalBytes: body)
        case .privacy: try? PrivacyCall(canonicalBytes: body)
        case .storage: try? StorageCall(canonicalBytes: body)
        default: nil
        }
        return typed.map { String(describing: $0) } ?? "\(module) call"
    }

    /// The call's kind: the case name (`transfer`, `create`, …).
    public var name: String { Event.caseName(of: text) }
}
