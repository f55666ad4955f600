package synth

import (
	"strconv"
	"strings"
)

// VPC Flow Logs delivered to S3: one object per flow log and ten-minute
// window (the default maximum aggregation interval), a header line naming the fields, then space-separated records
// with "-" for absent values. Traffic follows a small three-tier app:
// clients on 443 to the load balancer, the load balancer to the app
// servers, the app to its database and out through the NAT gateway, and the
// internet's background noise of probes that the security groups reject.

const flowWindow = 600

type flowFormat struct {
	fields []string
	hive   bool // Hive-compatible S3 prefix (aws-account-id=.../year=...)
	custom bool // version 5 custom format
}

var (
	flowV2Fields = strings.Fields("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status")
	flowV5Fields = strings.Fields("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status " +
		"vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id " +
		"pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path")
)

// flowFormat says whether an account logs flows in a region, and how:
// prod everywhere (default format), dev everywhere (custom v5 format),
// security everywhere (Hive-compatible prefix), management and other
// workloads in their home region only.
func (gen *generator) flowFormat(a *acct, r *region) *flowFormat {
	if r.extra {
		return nil
	}
	switch a.Role {
	case RoleProd:
		return &flowFormat{fields: flowV2Fields}
	case RoleDev:
		return &flowFormat{fields: flowV5Fields, custom: true}
	case RoleSecurity:
		return &flowFormat{fields: flowV2Fields, hive: true}
	}
	if r.name == a.home {
		return &flowFormat{fields: flowV2Fields}
	}
	return nil
}

// flowShare is the part of the organisation's flow records that an
// account and region carry.
func (gen *generator) flowShare(a *acct, r *region) float64 {
	total, mine := 0.0, 0.0
	for _, b := range gen.o.accounts {
		w := map[string]float64{RoleProd: 6, RoleDev: 2, RoleSecurity: 0.6, RoleManagement: 0.5, RoleWorkload: 2}[b.Role]
		for _, rr := range b.regions {
			if gen.flowFormat(b, rr) == nil {
				continue
			}
			x := w * 0.3
			if rr.name == b.home {
				x = w
			}
			total += x
			if rr == r {
				mine = x
			}
		}
	}
	if total == 0 {
		return 0
	}
	return mine / total
}

type flowRec struct {
	e                 *eni
	src, dst          string
	sport, dport      int
	proto             int
	packets, bytes    int64
	start, end        int64
	action, status    string
	flags             int
	ingress           bool
	srcSvc, dstSvc    string
	ipv6              bool
	pktSrc, pktDst    string
	trafficPathEgress int
}

func (w *worker) flowUnit(a *acct, r *region, ff *flowFormat, day int) error {
	gen, o := w.gen, w.gen.o
	sc := &gen.plan.sc
	rg := newRNG(o.seed, streamFlow, uint64(a.idx), uint64(r.idx), uint64(day))
	perDay := float64(o.cfg.FlowRecordsPerDay) * gen.flowShare(a, r)
	day0 := o.cfg.startSec() + int64(day)*86400
	isProd := sc.prodReg == r
	var albs, apps []*eni
	var bastion, rds *eni
	for _, e := range r.enis {
		switch e.kind {
		case "alb":
			albs = append(albs, e)
		case "rds":
			rds = e
		case "instance":
			if strings.HasSuffix(e.instance, r.instances[0].id) {
				bastion = e
			} else {
				apps = append(apps, e)
			}
		}
	}
	// Clients of the day and the outside services the app calls.
	clients := make([]string, 64)
	for i := range clients {
		clients[i] = publicIP(hash(uint64(o.seed), strHash(a.ID), uint64(day), uint64(i)), r.name)
	}
	upstream := []string{r.awsIPs[0], r.awsIPs[1], publicIP(hash(strHash(r.name), 91), "stripe"), publicIP(hash(strHash(r.name), 92), "github")}
	vpn := "10.250.0." + strconv.Itoa(10+a.idx)
	resolver := "10." + strconv.Itoa(r.octet) + ".0.2"

	var recs []flowRec
	add := func(f flowRec) {
		if f.status == "" {
			f.status = "OK"
		}
		if f.action == "" {
			f.action = "ACCEPT"
		}
		recs = append(recs, f)
	}
	pair := func(e *eni, client string, cport, port, proto int, pk, by int64, start, end int64, inbound bool) {
		// One connection gives a record per direction on the interface.
		if inbound {
			add(flowRec{e: e, src: client, dst: e.ip, sport: cport, dport: port, proto: proto, packets: pk, bytes: by, start: start, end: end, flags: 3, ingress: true})
			add(flowRec{e: e, src: e.ip, dst: client, sport: port, dport: cport, proto: proto, packets: pk, bytes: by * 6, start: start, end: end, flags: 19})
		} else {
			add(flowRec{e: e, src: e.ip, dst: client, sport: cport, dport: port, proto: proto, packets: pk, bytes: by, start: start, end: end, flags: 3})
			add(flowRec{e: e, src: client, dst: e.ip, sport: port, dport: cport, proto: proto, packets: pk, bytes: by * 4, start: start, end: end, flags: 19, ingress: true})
		}
	}
	eph := func() int { return 32768 + rg.intn(28000) }

	for win := int64(0); win < 86400/flowWindow; win++ {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		w0 := day0 + win*flowWindow
		recs = recs[:0]
		lambda := perDay / (86400 / flowWindow) * profApp.hour[win*flowWindow/3600]
		n := rg.poisson(lambda / 2) // most kinds add two records
		for range n {
			end := w0 + int64(rg.intn(flowWindow))
			start := end - int64(rg.between(30, 600))
			pk := int64(rg.between(4, 60))
			by := pk * int64(rg.between(60, 1400))
			switch x := rg.intn(100); {
			case x < 34 && len(albs) > 0:
				pair(albs[rg.intn(len(albs))], clients[rg.intn(len(clients))], eph(), 443, 6, pk, by, start, end, true)
			case x < 58 && len(apps) > 0 && len(albs) > 0:
				app := apps[rg.intn(len(apps))]
				pair(app, albs[rg.intn(len(albs))].ip, eph(), 8080, 6, pk, by, start, end, true)
			case x < 70 && len(apps) > 0 && rds != nil:
				pair(apps[rg.intn(len(apps))], rds.ip, eph(), 5432, 6, pk, by, start, end, false)
			case x < 82 && len(apps) > 0:
				pair(apps[rg.intn(len(apps))], upstream[rg.intn(len(upstream))], eph(), 443, 6, pk, by, start, end, false)
			case x < 88 && len(apps) > 0:
				e := apps[rg.intn(len(apps))]
				add(flowRec{e: e, src: e.ip, dst: resolver, sport: eph(), dport: 53, proto: 17, packets: 1, bytes: int64(rg.between(60, 120)), start: start, end: end})
			case x < 97:
				// Internet background noise, rejected by the security groups.
				e := r.enis[rg.intn(len(r.enis))]
				port := []int{22, 23, 3389, 445, 1433, 3306, 5900, 6379, 8080, 8443, 9200, 27017}[rg.intn(12)]
				src := publicIP(rg.u64(), "noise")
				add(flowRec{e: e, src: src, dst: e.ip, sport: eph(), dport: port, proto: 6, packets: 1, bytes: 40 + int64(rg.intn(20)), start: start, end: end, action: "REJECT", flags: 2, ingress: true})
			case x < 99 && bastion != nil:
				pair(bastion, vpn, eph(), 22, 6, pk*3, by*2, start, end, true)
			default:
				e := r.enis[rg.intn(len(r.enis))]
				status := "NODATA"
				if rg.intn(8) == 0 {
					status = "SKIPDATA"
				}
				add(flowRec{e: e, start: start, end: end, status: status})
			}
		}
		if isProd && bastion != nil {
			w.flowIncidents(sc, rg, w0, bastion, albs, apps, add, pair, eph)
		}
		if len(recs) == 0 {
			continue
		}
		delivery := w0 + flowWindow + int64(rg.between(60, 300))
		if err := w.emitFlowFile(a, r, ff, recs, delivery, rg); err != nil {
			return err
		}
	}
	return nil
}

// flowIncidents adds the incident traffic that falls in the window
// starting at w0.
func (w *worker) flowIncidents(sc *scenario, rg *rng, w0 int64, bastion *eni, albs, apps []*eni,
	add func(flowRec), pair func(*eni, string, int, int, int, int64, int64, int64, int64, bool), eph func() int) {
	w1 := w0 + flowWindow
	if sc.sshOpen > 0 && w1 > sc.sshOpen {
		// Once 22 is open to the world, the internet's probes get through.
		for range rg.poisson(4) {
			end := max(sc.sshOpen, w0) + int64(rg.intn(int(w1-max(sc.sshOpen, w0))))
			pair(bastion, publicIP(rg.u64(), "ssh-noise"), eph(), 22, 6, int64(rg.between(8, 20)), int64(rg.between(1500, 4000)), end-int64(rg.between(5, 60)), end, true)
		}
		s0 := sc.sshOpen + 26*60
		if w1 > s0 && w0 < s0+50*60 {
			for range 4 {
				end := max(s0, w0) + int64(rg.intn(int(w1-max(s0, w0))))
				pair(bastion, sshIP, 51514, 22, 6, int64(rg.between(300, 900)), int64(rg.between(60000, 400000)), end-60, end, true)
			}
		}
	}
	if sc.exfil > 0 && w1 > sc.exfil && w0 < sc.exfil+40*60 && len(apps) > 1 {
		src := apps[1]
		for range 10 {
			end := max(sc.exfil, w0) + int64(rg.intn(int(w1-max(sc.exfil, w0))))
			pk := int64(rg.between(55000, 100000))
			add(flowRec{e: src, src: src.ip, dst: exfilIP, sport: 41822, dport: 443, proto: 6, packets: pk, bytes: pk * 1448, start: end - 60, end: end, flags: 3, trafficPathEgress: 8})
			add(flowRec{e: src, src: exfilIP, dst: src.ip, sport: 443, dport: 41822, proto: 6, packets: pk / 2, bytes: pk / 2 * 52, start: end - 60, end: end, flags: 19, ingress: true})
		}
	}
	if sc.scan > 0 && w1 > sc.scan && w0 < sc.scan+20*60 {
		targets := append([]*eni{bastion}, albs...)
		targets = append(targets, apps...)
		for range 200 {
			e := targets[rg.intn(len(targets))]
			port := 1 + rg.intn(1024)
			if rg.intn(4) == 0 {
				port = 1024 + rg.intn(64000)
			}
			action := "REJECT"
			if port == 443 && e.kind == "alb" {
				action = "ACCEPT"
			}
			end := max(sc.scan, w0) + int64(rg.intn(int(w1-max(sc.scan, w0))))
			add(flowRec{e: e, src: scannerIP, dst: e.ip, sport: 61000 + rg.intn(500), dport: port, proto: 6, packets: 1, bytes: 44, start: end - 10, end: end, action: action, flags: 2, ingress: true})
		}
	}
}

func (w *worker) emitFlowFile(a *acct, r *region, ff *flowFormat, recs []flowRec, delivery int64, rg *rng) error {
	o := w.gen.o
	k := append(w.key[:0], o.cfg.Prefix...)
	if ff.hive {
		k = append(k, "AWSLogs/aws-account-id="...)
		k = append(k, a.ID...)
		k = append(k, "/aws-service=vpcflowlogs/aws-region="...)
		k = append(k, r.name...)
		days, _, _, _ := splitSec(delivery)
		y, m, d := civil(days)
		k = append(k, "/year="...)
		k = append4(k, y)
		k = append(k, "/month="...)
		k = append2(k, m)
		k = append(k, "/day="...)
		k = append2(k, d)
		k = append(k, '/')
	} else {
		k = append(k, "AWSLogs/"...)
		k = append(k, a.ID...)
		k = append(k, "/vpcflowlogs/"...)
		k = append(k, r.name...)
		k = append(k, '/')
		k = appendDatePath(k, delivery, true)
		k = append(k, '/')
	}
	k = append(k, a.ID...)
	k = append(k, "_vpcflowlogs_"...)
	k = append(k, r.name...)
	k = append(k, '_')
	k = append(k, r.fl...)
	k = append(k, '_')
	k = appendStamp(k, delivery, false)
	k = append(k, '_')
	k = rg.appendHex(k, 8)
	k = append(k, ".log.gz"...)
	w.key = k

	b := append(w.body[:0], strings.Join(ff.fields, " ")...)
	b = append(b, '\n')
	azID := azIDPrefix(r.name)
	for i := range recs {
		f := &recs[i]
		if ff.custom {
			b = append(b, '5')
		} else {
			b = append(b, '2')
		}
		b = append(b, ' ')
		b = append(b, a.ID...)
		b = append(b, ' ')
		b = append(b, f.e.id...)
		if f.status != "OK" {
			// NODATA and SKIPDATA rows carry only the interface and times.
			b = append(b, " - - - - - - - "...)
			b = strconv.AppendInt(b, f.start, 10)
			b = append(b, ' ')
			b = strconv.AppendInt(b, f.end, 10)
			b = append(b, " - "...)
			b = append(b, f.status...)
			if ff.custom {
				b = append(b, strings.Repeat(" -", len(ff.fields)-14)...)
			}
			b = append(b, '\n')
			continue
		}
		for _, v := range []string{f.src, f.dst} {
			b = append(b, ' ')
			b = append(b, v...)
		}
		for _, v := range []int64{int64(f.sport), int64(f.dport), int64(f.proto), f.packets, f.bytes, f.start, f.end} {
			b = append(b, ' ')
			b = strconv.AppendInt(b, v, 10)
		}
		b = append(b, ' ')
		b = append(b, f.action...)
		b = append(b, " OK"...)
		if ff.custom {
			inst := f.e.instance
			if inst == "" {
				inst = "-"
			}
			b = append(b, ' ')
			b = append(b, r.vpcID...)
			b = append(b, ' ')
			b = append(b, f.e.subnet...)
			b = append(b, ' ')
			b = append(b, inst...)
			b = append(b, ' ')
			flags := f.flags
			if f.proto != 6 {
				flags = 0
			}
			b = strconv.AppendInt(b, int64(flags), 10)
			b = append(b, " IPv4 "...)
			b = append(b, f.src...)
			b = append(b, ' ')
			b = append(b, f.dst...)
			b = append(b, ' ')
			b = append(b, r.name...)
			b = append(b, ' ')
			b = append(b, azID...)
			b = append(b, strconv.Itoa(1+int(strHash(f.e.az)%3))...)
			b = append(b, " - - "...)
			src, dst := "-", "-"
			if strings.HasPrefix(f.src, r.awsIPs[0][:4]) {
				src = "AMAZON"
			}
			if strings.HasPrefix(f.dst, r.awsIPs[0][:4]) {
				dst = "AMAZON"
			}
			b = append(b, src...)
			b = append(b, ' ')
			b = append(b, dst...)
			if f.ingress {
				b = append(b, " ingress -"...)
			} else {
				b = append(b, " egress "...)
				tp := 1
				if !strings.HasPrefix(f.dst, "10.") {
					tp = 8
				}
				if f.trafficPathEgress != 0 {
					tp = f.trafficPathEgress
				}
				b = strconv.AppendInt(b, int64(tp), 10)
			}
		}
		b = append(b, '\n')
	}
	w.body = b
	w.m.FlowRecords += int64(len(recs))
	return w.send(string(k), KindVPCFlow, w.comp.gzip(b))
}

// azIDPrefix gives the zone id prefix of a region (eu-west-1 -> euw1-az).
func azIDPrefix(region string) string {
	parts := strings.Split(region, "-")
	if len(parts) < 3 {
		return region + "-az"
	}
	return parts[0] + string(parts[1][0]) + parts[2] + "-az"
}
