#!/usr/bin/python3
# Drives letterbox-managesieved with python3-sievelib (Debian's, the library webmail back ends in Python
# use): over STARTTLS, upload, list, activate, fetch, rename, deactivate and delete a script. Prints one
# line per step; exits 1 at the first step that fails. Usage: HOST PORT USER PASSWORD
import sys

from sievelib.managesieve import Client

SCRIPT = 'require ["fileinto", "mailbox"];\r\nif header :contains "subject" "lib" {\r\n  fileinto :create "FromLib";\r\n}\r\n'


def step(name, ok):
    print(f"{name}: {'ok' if ok else 'FAILED'}")
    if not ok:
        sys.exit(1)


def main():
    host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    client = Client(host, port)
    step("connect over STARTTLS and log in", client.connect(user, password, starttls=True, authmech="PLAIN"))
    step("upload", client.putscript("lib-one", SCRIPT))
    step("activate", client.setactive("lib-one"))
    active, others = client.listscripts()
    step("list", active == "lib-one" and others == [])
    # sievelib hands the lines back joined with "\n", the last line end dropped.
    step("fetch", client.getscript("lib-one") == "\n".join(SCRIPT.splitlines()))
    step("rename", client.renamescript("lib-one", "lib-two"))
    active, others = client.listscripts()
    step("list after rename", active == "lib-two" and others == [])
    step("deactivate", client.setactive(""))
    step("delete", client.deletescript("lib-two"))
    step("list after delete", client.listscripts() == (None, []))
    # What the delivery test then uses: a script left active.
    step("upload and activate for delivery", client.putscript("lib", SCRIPT) and client.setactive("lib"))
    client.logout()


main()
