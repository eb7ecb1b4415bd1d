#!/usr/bin/env bash
# The Debian package as an administrator meets it, on this machine (root only: it installs the package
# and purges it again). Built with scripts/package from build/; lintian finds no error; `dpkg -i`
# creates the vmail user and the directories; the copyright file it installs is debian/copyright (MIT,
# the text of LICENSE); the shipped configuration passes --check-config for all three programs; every
# man page renders; the units pass `systemd-analyze verify`; logrotate accepts its file; a message
# delivered under mail_root survives `dpkg -r` and `dpkg --purge` byte for byte.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" -ne 0 ]; then
  echo "package test: skipped (needs root to install the package)"
  exit 0
fi
if dpkg-query -W -f='${Status}' letterbox 2>/dev/null | grep -q "install ok installed"; then
  echo "package test: FAILED: a letterbox package is already installed here; not touching it" >&2
  exit 1
fi

# Whatever happens, the machine is left without the package and without the test's mail; a mail_root
# that existed before is not removed, only the test's own domain in it.
test_domain=/var/mail/vhosts/letterbox-pkgtest.invalid
cleanup() {
  if dpkg-query -W -f='${Status}' letterbox 2>/dev/null | grep -q "ok installed"; then
    dpkg --purge letterbox >/dev/null 2>&1 || true
  fi
  rm -rf "$test_domain"
}
trap cleanup EXIT

failures=0
check() {  # check DESCRIPTION COMMAND...: runs the command, says what was checked
  local what=$1
  shift
  local output
  if output=$("$@" 2>&1); then
    echo "package test: ok: $what"
  else
    echo "package test: FAILED: $what" >&2
    printf '%s\n' "$output" | tail -n 30 | sed 's/^/    /' >&2
    failures=$((failures + 1))
  fi
}

# From build/, the release build the other tests ran (scripts/setup gives it the package's flags and
# layout): the package holds the tested binaries, and CI does not compile them a fourth time.
deb=$(./scripts/package build | tail -n 1)
echo "package test: built $deb"
dpkg-deb --contents "$deb" | awk '{print "    " $NF}'

# One lintian run (it takes seconds of CI's budget): every tag it can give, and no error among them.
lintian_log=$(mktemp)
lintian_status=0
lintian --allow-root --fail-on error --display-info --pedantic --tag-display-limit 0 "$deb" >"$lintian_log" 2>&1 ||
  lintian_status=$?
check "lintian reports no error" sh -c "[ $lintian_status -eq 0 ] && ! grep -q '^E: ' '$lintian_log'"
summary=$(cut -c1-2 "$lintian_log" | sort | uniq -c | tr -s ' \n' ' ')
echo "package test: lintian --display-info --pedantic says:${summary:- nothing}"
sed 's/^/    /' "$lintian_log"
rm -f "$lintian_log"

check "dpkg -i installs it" dpkg -i "$deb"
check "the vmail user and group exist" sh -c 'getent passwd vmail && getent group vmail'
check "the conffile is registered" sh -c 'dpkg-query -W -f="\${Conffiles}" letterbox | grep -q /etc/letterbox/letterbox.conf'
check "mail_root exists, owned by vmail" sh -c '[ "$(stat -c %U /var/mail/vhosts)" = vmail ]'
check "the runtime directory was made by tmpfiles.d" test -d /run/letterbox
check "/usr/share/doc/letterbox/copyright is debian/copyright" cmp /usr/share/doc/letterbox/copyright debian/copyright
for program in letterbox-lmtpd letterbox-policyd letterbox-managesieved letterbox-lda; do
  check "$program --check-config passes with the shipped configuration" /usr/sbin/$program --check-config
done
sieve_script=$(mktemp)
printf 'require "fileinto";\nif exists "X-Spam" { fileinto "Junk"; }\n' >"$sieve_script"
check "letterbox-sieve check compiles a script with the shipped configuration" /usr/bin/letterbox-sieve check "$sieve_script"
rm -f "$sieve_script"
renders() {  # renders PAGE: clean under mandoc's linter, and rendered with its sections
  local file=/usr/share/man/$1.gz
  [ -z "$(mandoc -T lint -W warning "$file" 2>&1)" ] && mandoc -T utf8 "$file" | sed 's/.\x08//g' | grep '^FILES' >/dev/null  # not -q: with pipefail, an early exit fails the pipe
}
for page in man8/letterbox-lmtpd.8 man8/letterbox-lda.8 man8/letterbox-policyd.8 man8/letterbox-managesieved.8 \
            man5/letterbox.conf.5 \
            man1/letterbox-sieve.1; do
  check "man page $page renders" renders "$page"
done
if command -v man >/dev/null; then
  check "man finds letterbox-lmtpd" man -w letterbox-lmtpd
fi
check "the systemd units verify" systemd-analyze verify /lib/systemd/system/letterbox-lmtpd.service \
  /lib/systemd/system/letterbox-lmtpd.socket /lib/systemd/system/letterbox-policyd.service \
  /lib/systemd/system/letterbox-policyd.socket /lib/systemd/system/letterbox-managesieved.service \
  /lib/systemd/system/letterbox-managesieved.socket
check "logrotate accepts /etc/logrotate.d/letterbox" logrotate -d /etc/logrotate.d/letterbox

# Mail in mail_root, as a delivery left it, must outlive the package.
maildir=$test_domain/alice/Maildir
install -d -o vmail -g vmail -m 0700 "$test_domain" "$test_domain/alice" "$maildir" \
  "$maildir/new" "$maildir/cur" "$maildir/tmp"
printf 'From: someone@example.net\nSubject: keep me\n\nA message the package must never remove.\n' \
  >"$maildir/new/1764590000.P1Q1.test"
chown vmail:vmail "$maildir/new/1764590000.P1Q1.test"
before=$(cd /var/mail/vhosts && find . -printf '%p %U %m %s\n' | sort && find . -type f -exec sha256sum {} + | sort)
check "dpkg -r removes it" dpkg -r letterbox
check "the programs are gone" test ! -e /usr/sbin/letterbox-lmtpd
after=$(cd /var/mail/vhosts && find . -printf '%p %U %m %s\n' | sort && find . -type f -exec sha256sum {} + | sort)
check "mail_root is untouched by dpkg -r" test "$before" = "$after"
check "dpkg --purge purges it" dpkg --purge letterbox
check "the configuration is gone after purge" test ! -e /etc/letterbox/letterbox.conf
after=$(cd /var/mail/vhosts && find . -printf '%p %U %m %s\n' | sort && find . -type f -exec sha256sum {} + | sort)
check "mail_root is untouched by dpkg --purge" test "$before" = "$after"
check "the vmail user is kept (it owns the mail)" getent passwd vmail

if [ "$failures" -ne 0 ]; then
  echo "package test: $failures check(s) failed" >&2
  exit 1
fi
echo "package test: all checks passed"
