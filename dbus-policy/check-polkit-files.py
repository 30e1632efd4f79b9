#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Usage: check-polkit-files.py POLICY RULES GROUP USER

Checks the polkit files without polkitd (check-polkitd.sh asks the real
one): POLICY is well-formed XML whose vendor is openocd-dbus and whose
actions are exactly org.openocd.inspect, control, program, manage, lease
and raw, each with a description, a message, the promised defaults and
USER (the service's) as its owner, without whom polkitd answers the
service about no other user's process.
RULES names GROUP and org.openocd.; when Duktape's duk (the JavaScript
engine of Debian's polkit) is installed, RULES also runs in it against a
stand-in of polkit's addRule, which must say YES to every org.openocd.*
action but org.openocd.raw for a member of GROUP and NOT_HANDLED otherwise.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

ASK_ADMIN = 'auth_admin_keep'
DEFAULTS = {
    'org.openocd.inspect': (ASK_ADMIN, ASK_ADMIN, 'yes'),
    'org.openocd.control': (ASK_ADMIN, ASK_ADMIN, 'yes'),
    'org.openocd.program': (ASK_ADMIN, ASK_ADMIN, 'yes'),
    'org.openocd.manage': (ASK_ADMIN, ASK_ADMIN, ASK_ADMIN),
    'org.openocd.lease': (ASK_ADMIN, ASK_ADMIN, 'yes'),
    'org.openocd.raw': ('auth_admin', 'auth_admin', 'auth_admin'),
}
# Actions the group's rule leaves to the defaults.
NOT_FOR_GROUP = ('org.openocd.raw',)

failures = []


def check(condition, message):
    print(('ok: ' if condition else 'FAIL: ') + message)
    if not condition:
        failures.append(message)


def check_policy(path, user):
    root = ET.parse(path).getroot()
    check(root.tag == 'policyconfig', f'{path}: the root is <policyconfig>')
    check(root.findtext('vendor') == 'openocd-dbus', f'{path}: the vendor is openocd-dbus')
    actions = root.findall('action')
    ids = [a.get('id') for a in actions]
    check(sorted(ids) == sorted(DEFAULTS), f'{path}: the actions are exactly {sorted(DEFAULTS)} (got {ids})')
    for action in actions:
        name = action.get('id')
        for tag in ('description', 'message'):
            check(bool((action.findtext(tag) or '').strip()), f'{name} has a <{tag}>')
        got = tuple((action.findtext('defaults/' + tag) or '').strip()
                    for tag in ('allow_any', 'allow_inactive', 'allow_active'))
        check(got == DEFAULTS.get(name), f'{name}: defaults any/inactive/active {got}')
        owners = [a.text for a in action.findall('annotate')
                  if a.get('key') == 'org.freedesktop.policykit.owner']
        check(owners == [f'unix-user:{user}'], f'{name}: owned by unix-user:{user} (got {owners})')


# Stand-ins for what polkitd gives a rule: polkit.addRule, polkit.Result,
# an action with an id, a subject whose isInGroup knows its groups.
JS_HARNESS = '''
var rules = [];
var polkit = {
  Result: { NO: "no", YES: "yes", AUTH_SELF: "auth_self", AUTH_SELF_KEEP: "auth_self_keep",
            AUTH_ADMIN: "auth_admin", AUTH_ADMIN_KEEP: "auth_admin_keep", NOT_HANDLED: null },
  addRule: function (rule) { rules.push(rule); },
  addAdminRule: function (rule) { },
  log: function (message) { }
};
'''
JS_CHECKS = '''
function decide(id, groups) {
  var subject = { user: "someone", groups: groups, local: false, active: false,
                  isInGroup: function (g) { return this.groups.indexOf(g) >= 0; },
                  isInNetGroup: function (g) { return false; } };
  for (var i = 0; i < rules.length; i++) {
    var r = rules[i]({ id: id, lookup: function () { return undefined; } }, subject);
    if (r !== undefined && r !== null) return r;
  }
  return "not handled";
}
for (var i = 0; i < ids.length; i++) {
  print(ids[i] + " member:" + decide(ids[i], ["users", GROUP]) + " other:" + decide(ids[i], ["users"]));
}
print("org.freedesktop.policykit.exec member:" +
      decide("org.freedesktop.policykit.exec", [GROUP]));
'''


def check_rules(path, group):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    check(f'"{group}"' in text, f'{path} names the group "{group}"')
    check('"org.openocd."' in text, f'{path} names "org.openocd."')
    duk = shutil.which('duk')
    if duk is None:
        print(f'not run: {path} in a JavaScript engine (no duk; Debian: duktape)')
        return
    with tempfile.TemporaryDirectory() as tmp:
        harness = os.path.join(tmp, 'harness.js')
        checks = os.path.join(tmp, 'checks.js')
        with open(harness, 'w', encoding='utf-8') as f:
            f.write(JS_HARNESS)
        with open(checks, 'w', encoding='utf-8') as f:
            f.write(f'var GROUP = "{group}";\nvar ids = {json.dumps(list(DEFAULTS))};\n' + JS_CHECKS)
        run = subprocess.run([duk, harness, path, checks], capture_output=True, text=True, check=False)
    check(run.returncode == 0, f'{path} runs in duk: {run.stderr.strip()}')
    lines = run.stdout.splitlines()
    expected = [f'{i} member:{"not handled" if i in NOT_FOR_GROUP else "yes"} other:not handled'
                for i in DEFAULTS]
    expected.append('org.freedesktop.policykit.exec member:not handled')
    check(lines == expected, f'{path} decides {lines}')


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    check_policy(sys.argv[1], sys.argv[4])
    check_rules(sys.argv[2], sys.argv[3])
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
