#!/usr/bin/env bash
# Upload a large file over loopback with OpenSSH's sftp client into
# Dockside's SFTP server and, in the same run, into OpenSSH's own
# sftp-server (an sshd on another loopback port, started here; Debian's
# openssh-server is installed if missing). Prints the times, the
# throughputs and the ratio (OpenSSH time / Dockside time; 1.0 = as fast).
#
#   scripts/bench-sftp.sh                 # 200 MB, 3 runs each, client's default cipher
#   SIZE_MB=50 RUNS=5 scripts/bench-sftp.sh
#   CIPHERS="chacha20-poly1305@openssh.com aes128-gcm@openssh.com aes128-ctr" scripts/bench-sftp.sh
#   BASELINE=/tmp/benchserver-old scripts/bench-sftp.sh   # also an older build, in the same runs
#
# Dockside's time includes what OpenSSH does not do: the upload is stored
# durably in the inbox before the client's close returns (hashed with
# SHA-256 while it arrives, fsync, hard link into the inbox's blobs, the
# record). So the script also times OpenSSH with "put -f" (fsync at the
# end), and Dockside with a ".part" upload (not handed over) followed by
# its rename (a hand-over that reads the file again: SHA-256, copy, fsync).
# BASELINE names another benchserver binary (e.g. built from an older
# commit) that gets the same stored upload in each run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$HOME/go/bin:$PATH"

SIZE_MB=${SIZE_MB:-200}
RUNS=${RUNS:-3}
CIPHERS=${CIPHERS:-default}
BASELINE=${BASELINE:-}

need=()
command -v sftp >/dev/null 2>&1 || need+=(openssh-client)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/bench-sftp.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

ssh-keygen -q -t ed25519 -N '' -f "$work/id" -C bench
head -c "${SIZE_MB}M" /dev/urandom >"$work/payload.bin"

# Dockside.
go build -o "$work/benchserver" ./transports/sftp/testdata/benchserver
mkdir -p "$work/dockside"
"$work/benchserver" -data "$work/dockside" -user bench -key "$work/id.pub" >"$work/dockside.out" 2>"$work/dockside.log" &
pids+=($!)
for _ in $(seq 100); do grep -q listening "$work/dockside.out" 2>/dev/null && break; sleep 0.1; done
ds_port=$(sed -n 's/^listening 127.0.0.1:\([0-9]*\)$/\1/p' "$work/dockside.out")
[ -n "$ds_port" ] || { echo "benchserver did not start:" >&2; cat "$work/dockside.log" >&2; exit 2; }
if [ -n "$BASELINE" ]; then
  mkdir -p "$work/baseline"
  "$BASELINE" -data "$work/baseline" -user bench -key "$work/id.pub" >"$work/baseline.out" 2>"$work/baseline.log" &
  pids+=($!)
  for _ in $(seq 100); do grep -q listening "$work/baseline.out" 2>/dev/null && break; sleep 0.1; done
  bl_port=$(sed -n 's/^listening 127.0.0.1:\([0-9]*\)$/\1/p' "$work/baseline.out")
  [ -n "$bl_port" ] || { echo "baseline benchserver did not start:" >&2; cat "$work/baseline.log" >&2; exit 2; }
fi

# OpenSSH: sshd with its own sftp-server, as the current user.
os_port=$(free_port)
ssh-keygen -q -t ed25519 -N '' -f "$work/sshd_host_key"
mkdir -p /run/sshd "$work/openssh-dest"
cat >"$work/sshd_config" <<CONF
Port $os_port
ListenAddress 127.0.0.1
HostKey $work/sshd_host_key
PidFile $work/sshd.pid
AuthorizedKeysFile $work/id.pub
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
AllowUsers $(id -un)
Subsystem sftp /usr/lib/openssh/sftp-server
CONF
/usr/sbin/sshd -D -e -f "$work/sshd_config" 2>"$work/sshd.log" &
pids+=($!)
echo "[127.0.0.1]:$os_port $(cat "$work/sshd_host_key.pub")" >"$work/openssh_known_hosts"
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$os_port") 2>/dev/null && break; sleep 0.1; done

# upload PORT USER KNOWN_HOSTS CIPHER BATCH: prints the seconds taken.
upload() {
  local port=$1 user=$2 kh=$3 cipher=$4 batch=$5 copt=()
  [ "$cipher" = default ] || copt=(-c "$cipher")
  printf '%s\n' "$batch" >"$work/batch"
  local t0 t1
  t0=$(date +%s.%N)
  sftp -F /dev/null -q -b "$work/batch" -i "$work/id" -P "$port" "${copt[@]}" \
    -o UserKnownHostsFile="$kh" -o StrictHostKeyChecking=yes -o GlobalKnownHostsFile=/dev/null \
    -o IdentitiesOnly=yes "$user@127.0.0.1" >"$work/sftp.out" 2>&1 || { cat "$work/sftp.out" >&2; return 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}

# negotiated PORT USER KNOWN_HOSTS CIPHER: the cipher and MAC the client picks.
negotiated() {
  local port=$1 user=$2 kh=$3 cipher=$4 copt=()
  [ "$cipher" = default ] || copt=(-c "$cipher")
  echo "ls /" >"$work/batch"
  sftp -F /dev/null -v -b "$work/batch" -i "$work/id" -P "$port" "${copt[@]}" -o UserKnownHostsFile="$kh" \
    -o StrictHostKeyChecking=yes -o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes "$user@127.0.0.1" 2>&1 |
    sed -n 's/.*kex: client->server cipher: \([^ ]*\) MAC: \([^ ]*\).*/\1 \2/p' | head -1
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
best() { sort -n | head -1; }
mbps() { echo "scale=1; $SIZE_MB * 1.048576 / $1" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l | sed 's/^\./0./'; }

me=$(id -un)
echo "ciphers offered by Dockside (client view): $(sftp -F /dev/null -vv -b /dev/null -i "$work/id" -P "$ds_port" \
  -o UserKnownHostsFile="$work/dockside/known_hosts" -o StrictHostKeyChecking=yes -o GlobalKnownHostsFile=/dev/null \
  -o IdentitiesOnly=yes bench@127.0.0.1 2>&1 | sed -n 's/^debug2: ciphers stoc: //p' | sed -n 2p)"
echo "size: ${SIZE_MB} MiB, runs: $RUNS, $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "The machine is shared: best and median of $RUNS runs; MB/s and ratios use the best. \"net\" leaves the login out."
echo
printf '| %-30s | %-42s | %7s | %7s | %7s | %7s |\n' "cipher, MAC (negotiated)" "target" "best s" "median" "MB/s" "net MB/s"
printf '|%s|%s|%s|%s|%s|%s|\n' "--------------------------------" "--------------------------------------------" "---------" "---------" "---------" "---------"
for cipher in $CIPHERS; do
  ds_alg=$(negotiated "$ds_port" bench "$work/dockside/known_hosts" "$cipher" | sed 's/ <implicit>//')
  os_alg=$(negotiated "$os_port" "$me" "$work/openssh_known_hosts" "$cipher" | sed 's/ <implicit>//')
  declare -A times=()
  for i in $(seq "$RUNS"); do
    # Alternate the servers so that a busy moment hurts both alike.
    times[os]+="$(upload "$os_port" "$me" "$work/openssh_known_hosts" "$cipher" "put $work/payload.bin $work/openssh-dest/p.bin") "
    rm -f "$work/openssh-dest/p.bin"
    times[ds]+="$(upload "$ds_port" bench "$work/dockside/known_hosts" "$cipher" "put $work/payload.bin /in/p$i.bin") "
    if [ -n "$BASELINE" ]; then
      times[bl]+="$(upload "$bl_port" bench "$work/baseline/known_hosts" "$cipher" "put $work/payload.bin /in/p$i.bin") "
    fi
    times[osf]+="$(upload "$os_port" "$me" "$work/openssh_known_hosts" "$cipher" "put -f $work/payload.bin $work/openssh-dest/p.bin") "
    rm -f "$work/openssh-dest/p.bin"
    times[part]+="$(upload "$ds_port" bench "$work/dockside/known_hosts" "$cipher" "put $work/payload.bin /in/q$i.bin.part") "
    times[ren]+="$(upload "$ds_port" bench "$work/dockside/known_hosts" "$cipher" "rename /in/q$i.bin.part /in/q$i.bin") "
    # Logging in alone, to tell the transfer from the handshake.
    times[oslogin]+="$(upload "$os_port" "$me" "$work/openssh_known_hosts" "$cipher" "pwd") "
    times[dslogin]+="$(upload "$ds_port" bench "$work/dockside/known_hosts" "$cipher" "pwd") "
  done
  keys="os osf ds part ren oslogin dslogin"
  [ -z "$BASELINE" ] || keys+=" bl"
  for k in $keys; do
    declare "med_$k=$(echo "${times[$k]}" | tr ' ' '\n' | grep . | median)"
    declare "min_$k=$(echo "${times[$k]}" | tr ' ' '\n' | grep . | best)"
  done
  row() { # alg target key login-key
    local b m; b=$(eval echo "\$min_$3"); m=$(eval echo "\$med_$3")
    local rate=- net=-
    if [ -n "${4:-}" ]; then rate=$(mbps "$b"); net=$(mbps "$(echo "$b - $(eval echo "\$min_$4")" | bc -l)"); fi
    printf '| %-30s | %-42s | %7.2f | %7.2f | %7s | %7s |\n' "$1" "$2" "$b" "$m" "$rate" "$net"
  }
  row "$os_alg" "OpenSSH sftp-server" os oslogin
  row "$os_alg" "OpenSSH sftp-server, put -f (fsync)" osf oslogin
  row "$ds_alg" "Dockside (stored in the inbox at close)" ds dslogin
  [ -z "$BASELINE" ] || row "$ds_alg" "Dockside baseline ($(basename "$BASELINE")), stored" bl dslogin
  row "$ds_alg" "Dockside, .part upload (transfer alone)" part dslogin
  row "$ds_alg" "Dockside, rename .part (hand-over alone)" ren
  row "$os_alg" "OpenSSH, login alone" oslogin
  row "$ds_alg" "Dockside, login alone" dslogin
  echo "ratio ($cipher; OpenSSH time / Dockside time, best): stored $(ratio "$min_os" "$min_ds")," \
    "stored vs put -f $(ratio "$min_osf" "$min_ds"), transfer alone $(ratio "$min_os" "$min_part");" \
    "net of login: stored $(ratio "$(echo "$min_os - $min_oslogin" | bc -l)" "$(echo "$min_ds - $min_dslogin" | bc -l)")," \
    "transfer alone $(ratio "$(echo "$min_os - $min_oslogin" | bc -l)" "$(echo "$min_part - $min_dslogin" | bc -l)")"
  echo "median ratios: stored $(ratio "$med_os" "$med_ds"), transfer alone $(ratio "$med_os" "$med_part")"
  [ -z "$BASELINE" ] || echo "baseline ratio (best): stored $(ratio "$min_os" "$min_bl"), median $(ratio "$med_os" "$med_bl")"
  echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  unset times
done
