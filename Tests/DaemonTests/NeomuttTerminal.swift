/// neomutt in a pseudo-terminal, which it needs for IMAP: `script` runs it with `rc` (after
/// Debian's /etc/neomuttrc, which points it at the system trust store); it opens its
/// spoolfile, pipes the message under the cursor into `file` and quits. Run `/usr/bin/script`
/// with these arguments; its exit status is neomutt's (`-e`). A neomutt that cannot open the
/// mailbox drops the keys pushed after the error and waits for more: the caller's timeout
/// ends it.
enum NeomuttTerminal {
    static func scriptArguments(rc: String, pipingTo file: String) -> [String] {
        let neomutt = "/usr/bin/env TERM=xterm COLUMNS=80 LINES=24 /usr/bin/neomutt -F \(rc) "
            + "-e 'set wait_key = no' -e 'push \"<pipe-message>cat > \(file)<enter><quit>\"'"
        return ["-q", "-e", "-c", neomutt, "/dev/null"]
    }
}
