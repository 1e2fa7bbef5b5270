// mailsrvd: Thunderbird asks the local mailsrvd (DNS SRV records, RFC 6186) for the
// servers of a new account, instead of Mozilla's database (autoconfig.thunderbird.net).
//
// Not active where it is installed. To enable it for every Thunderbird on this host:
//   systemctl enable --now mailsrvd-autoconfig.socket
//   cp /usr/local/share/mailsrvd/thunderbird-mailsrvd.js /etc/thunderbird/pref/mailsrvd.js
// For one profile only, put the line below into that profile's user.js instead.
//
// What changes: Thunderbird still tries the provider's own autoconfig.DOMAIN first; this
// URL then replaces Mozilla's database, so no request goes to Mozilla, and a domain
// without SRV records is found only through the provider's autoconfig or by guessing.
pref("mailnews.auto_config_url", "http://127.0.0.1:8186/v1.1/");
