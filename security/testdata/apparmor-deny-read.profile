profile libct-test-deny-read flags=(attach_disconnected) {
  file,
  capability,
  network,
  signal,
  ptrace,
  unix,
  mount,
  umount,
  pivot_root,
  dbus,
  deny /tmp/libct-apparmor-secret r,
}
