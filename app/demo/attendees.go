package demo

import (
	"fmt"
	"strings"

	"github.com/hybridcon/hybridcon/app"
)

// delegation is a number of attendees from one organization.
type delegation struct {
	org      string
	country  string // "CN" or "HU"
	category string
	n        int
}

// delegations lists who registered, 200 people in all, after the article's
// list of participants: science and technology departments of Chongqing,
// Sichuan, Gansu and Guizhou, the Hungarian Embassy and Consulate General,
// the two signing parties and the China-Hungary Technology Transfer Center,
// financiers, press, research institutes and enterprises, among them
// Hungarian enterprises in China. Government bodies keep their names; every
// invented organization says "(sample)".
var delegations = []delegation{
	// Officials: 20.
	{"Chongqing Municipal Science and Technology Bureau", "CN", app.CategoryOfficial, 5},
	{"Sichuan Provincial Department of Science and Technology", "CN", app.CategoryOfficial, 3},
	{"Gansu Provincial Department of Science and Technology", "CN", app.CategoryOfficial, 3},
	{"Guizhou Provincial Department of Science and Technology", "CN", app.CategoryOfficial, 3},
	{"Embassy of Hungary in Beijing", "HU", app.CategoryOfficial, 2},
	{"Consulate General of Hungary in Chongqing", "HU", app.CategoryOfficial, 4},

	// Guests: 26.
	{"Technology Transfer Center of Guizhou Province", "CN", app.CategoryGuest, 4},
	{"Chongqing High Technology Entrepreneurship Center", "CN", app.CategoryGuest, 5},
	{"China-Hungary Technology Transfer Center (Chongqing)", "CN", app.CategoryGuest, 4},
	{"China-Hungary Technology Transfer Center (Budapest)", "HU", app.CategoryGuest, 3},
	{"Chengdu-Chongqing Innovation Investment Fund (sample)", "CN", app.CategoryGuest, 4},
	{"Western Science and Technology Bank (sample)", "CN", app.CategoryGuest, 3},
	{"Hungarian-Chinese Business Council (sample)", "HU", app.CategoryGuest, 3},

	// Press: 20.
	{"Chongqing Science Daily (sample)", "CN", app.CategoryPress, 4},
	{"Mountain City Television (sample)", "CN", app.CategoryPress, 3},
	{"Sichuan Innovation Weekly (sample)", "CN", app.CategoryPress, 3},
	{"Gansu Science and Technology News (sample)", "CN", app.CategoryPress, 2},
	{"Guizhou Digital Media (sample)", "CN", app.CategoryPress, 2},
	{"West China Business Radio (sample)", "CN", app.CategoryPress, 2},
	{"Danube Tech Review (sample)", "HU", app.CategoryPress, 2},
	{"Budapest Innovation Post (sample)", "HU", app.CategoryPress, 2},

	// Academic: 52.
	{"Chongqing Institute of Advanced Materials (sample)", "CN", app.CategoryAcademic, 3},
	{"Chongqing Intelligent Manufacturing Research Institute (sample)", "CN", app.CategoryAcademic, 3},
	{"Chongqing Biomedical Engineering Center (sample)", "CN", app.CategoryAcademic, 3},
	{"Chongqing Ecological Environment Technology Institute (sample)", "CN", app.CategoryAcademic, 2},
	{"Chongqing Robotics Research Institute (sample)", "CN", app.CategoryAcademic, 2},
	{"Chongqing Academy of Smart Agriculture (sample)", "CN", app.CategoryAcademic, 2},
	{"Chongqing New Energy Storage Laboratory (sample)", "CN", app.CategoryAcademic, 2},
	{"Chongqing Rail Transit Technology Institute (sample)", "CN", app.CategoryAcademic, 2},
	{"Upper Yangtze University of Technology (sample)", "CN", app.CategoryAcademic, 5},
	{"Jialing River University (sample)", "CN", app.CategoryAcademic, 4},
	{"Sichuan Academy of Agricultural Innovation (sample)", "CN", app.CategoryAcademic, 2},
	{"Chengdu Institute of Information Technology (sample)", "CN", app.CategoryAcademic, 3},
	{"Sichuan Clean Energy Research Institute (sample)", "CN", app.CategoryAcademic, 2},
	{"Tianfu Medical Devices Institute (sample)", "CN", app.CategoryAcademic, 2},
	{"Gansu Dryland Agriculture Research Institute (sample)", "CN", app.CategoryAcademic, 2},
	{"Gansu New Energy Technology Institute (sample)", "CN", app.CategoryAcademic, 1},
	{"Gansu Nonferrous Metals Research Institute (sample)", "CN", app.CategoryAcademic, 1},
	{"Guizhou Big Data Application Research Center (sample)", "CN", app.CategoryAcademic, 2},
	{"Guizhou Institute of Medicinal Plants (sample)", "CN", app.CategoryAcademic, 2},
	{"Guizhou Phosphorus Resources Recycling Center (sample)", "CN", app.CategoryAcademic, 2},
	{"Guizhou Tea Science Research Institute (sample)", "CN", app.CategoryAcademic, 1},
	{"Danube Institute for Data Science (sample)", "HU", app.CategoryAcademic, 2},
	{"Pannonia Biomedical Research Institute (sample)", "HU", app.CategoryAcademic, 1},
	{"Győr Automotive Engineering Laboratory (sample)", "HU", app.CategoryAcademic, 1},

	// Enterprises: 82, of them 22 Hungarian enterprises in China.
	{"Chongqing Jialing Precision Machinery Co., Ltd. (sample)", "CN", app.CategoryEnterprise, 5},
	{"Chongqing Liangjiang Auto Parts Co., Ltd. (sample)", "CN", app.CategoryEnterprise, 5},
	{"Chongqing Cloud Valley Software Co., Ltd. (sample)", "CN", app.CategoryEnterprise, 4},
	{"Chongqing Mountain City Pharmaceutical Co., Ltd. (sample)", "CN", app.CategoryEnterprise, 4},
	{"Chongqing Three Gorges Environmental Engineering Co., Ltd. (sample)", "CN", app.CategoryEnterprise, 3},
	{"Chongqing Citrus Valley Agritech Co., Ltd. (sample)", "CN", app.CategoryEnterprise, 3},
	{"Chengdu Tianfu Photonics Co., Ltd. (sample)", "CN", app.CategoryEnterprise, 4},
	{"Chengdu Bamboo Grove Biotech Co., Ltd. (sample)", "CN", app.CategoryEnterprise, 4},
	{"Sichuan Minjiang Hydrogen Power Co., Ltd. (sample)", "CN", app.CategoryEnterprise, 4},
	{"Mianyang Electronic Instruments Co., Ltd. (sample)", "CN", app.CategoryEnterprise, 3},
	{"Lanzhou Silk Road New Materials Co., Ltd. (sample)", "CN", app.CategoryEnterprise, 4},
	{"Jiuquan Wind and Solar Engineering Co., Ltd. (sample)", "CN", app.CategoryEnterprise, 3},
	{"Tianshui Precision Tools Co., Ltd. (sample)", "CN", app.CategoryEnterprise, 2},
	{"Guiyang Data Harbor Technology Co., Ltd. (sample)", "CN", app.CategoryEnterprise, 4},
	{"Zunyi Highland Tea Co., Ltd. (sample)", "CN", app.CategoryEnterprise, 3},
	{"Guizhou Karst Phosphorus Chemicals Co., Ltd. (sample)", "CN", app.CategoryEnterprise, 3},
	{"Anshun Mountain Herbal Medicine Co., Ltd. (sample)", "CN", app.CategoryEnterprise, 2},
	{"Pannon Medical Devices Kft. (sample)", "HU", app.CategoryEnterprise, 4},
	{"Tisza Water Technologies Kft. (sample)", "HU", app.CategoryEnterprise, 4},
	{"Budapest Software Works Zrt. (sample)", "HU", app.CategoryEnterprise, 4},
	{"Great Plain Agro Trading Kft. (sample)", "HU", app.CategoryEnterprise, 3},
	{"Balaton Optics Kft. (sample)", "HU", app.CategoryEnterprise, 3},
	{"Debrecen Pharma Logistics Kft. (sample)", "HU", app.CategoryEnterprise, 2},
	{"Mátra Energy Solutions Kft. (sample)", "HU", app.CategoryEnterprise, 2},
}

// syllable is a part of a Chinese name with its pinyin, for e-mail addresses.
type syllable struct{ hanzi, pinyin string }

// cnSurnames are common Chinese family names, a few typical of Chongqing
// and Guizhou (冉, 向, 龙) among them.
var cnSurnames = []syllable{
	{"王", "wang"}, {"李", "li"}, {"张", "zhang"}, {"刘", "liu"}, {"陈", "chen"},
	{"杨", "yang"}, {"黄", "huang"}, {"赵", "zhao"}, {"吴", "wu"}, {"周", "zhou"},
	{"徐", "xu"}, {"孙", "sun"}, {"马", "ma"}, {"朱", "zhu"}, {"胡", "hu"},
	{"郭", "guo"}, {"何", "he"}, {"高", "gao"}, {"林", "lin"}, {"罗", "luo"},
	{"郑", "zheng"}, {"梁", "liang"}, {"谢", "xie"}, {"宋", "song"}, {"唐", "tang"},
	{"韩", "han"}, {"冯", "feng"}, {"邓", "deng"}, {"曹", "cao"}, {"彭", "peng"},
	{"曾", "zeng"}, {"肖", "xiao"}, {"田", "tian"}, {"董", "dong"}, {"袁", "yuan"},
	{"潘", "pan"}, {"蒋", "jiang"}, {"蔡", "cai"}, {"余", "yu"}, {"杜", "du"},
	{"叶", "ye"}, {"程", "cheng"}, {"苏", "su"}, {"魏", "wei"}, {"吕", "lyu"},
	{"丁", "ding"}, {"任", "ren"}, {"沈", "shen"}, {"姚", "yao"}, {"谭", "tan"},
	{"冉", "ran"}, {"向", "xiang"}, {"秦", "qin"}, {"龙", "long"}, {"文", "wen"},
}

// cnGivenNames are Chinese given names of one or two characters.
var cnGivenNames = []syllable{
	{"伟", "wei"}, {"芳", "fang"}, {"娜", "na"}, {"敏", "min"}, {"静", "jing"},
	{"强", "qiang"}, {"磊", "lei"}, {"军", "jun"}, {"洋", "yang"}, {"勇", "yong"},
	{"艳", "yan"}, {"杰", "jie"}, {"涛", "tao"}, {"明", "ming"}, {"超", "chao"},
	{"霞", "xia"}, {"平", "ping"}, {"刚", "gang"}, {"婷", "ting"}, {"鑫", "xin"},
	{"斌", "bin"}, {"宁", "ning"}, {"凯", "kai"}, {"颖", "ying"}, {"琳", "lin"},
	{"倩", "qian"}, {"波", "bo"}, {"秀英", "xiuying"}, {"建华", "jianhua"}, {"红梅", "hongmei"},
	{"志强", "zhiqiang"}, {"海燕", "haiyan"}, {"晓东", "xiaodong"}, {"宇航", "yuhang"}, {"思雨", "siyu"},
	{"子涵", "zihan"}, {"欣怡", "xinyi"}, {"浩然", "haoran"}, {"俊杰", "junjie"}, {"博文", "bowen"},
	{"雨萱", "yuxuan"}, {"国庆", "guoqing"}, {"春梅", "chunmei"}, {"建军", "jianjun"}, {"丽娟", "lijuan"},
	{"晓燕", "xiaoyan"}, {"振宇", "zhenyu"}, {"佳怡", "jiayi"}, {"明辉", "minghui"}, {"文静", "wenjing"},
	{"立新", "lixin"}, {"永刚", "yonggang"}, {"慧敏", "huimin"}, {"天宇", "tianyu"}, {"雪梅", "xuemei"},
}

// huFamilyNames and huGivenNames make Hungarian names, family name first.
var (
	huFamilyNames = []string{
		"Nagy", "Kovács", "Tóth", "Szabó", "Horváth", "Varga", "Kiss", "Molnár",
		"Németh", "Farkas", "Balogh", "Papp", "Takács", "Juhász", "Mészáros", "Simon",
		"Rácz", "Fekete", "Szilágyi", "Török", "Fehér", "Balázs", "Gál", "Szűcs",
		"Kocsis", "Fodor", "Szalai", "Sipos", "Lukács", "Gulyás", "Bíró", "Király",
		"Katona", "Jakab", "Sándor", "Fazekas", "Kelemen", "Antal", "Somogyi", "Fülöp",
		"Hegedűs", "Deák", "Bálint", "Illés", "Vörös", "Szőke", "Bognár", "Erdős",
	}
	huGivenNames = []string{
		"Eszter", "László", "István", "Zsófia", "Gábor", "Katalin", "Péter", "Ágnes",
		"Zoltán", "Judit", "Attila", "Krisztina", "Tamás", "Réka", "Dániel", "Anna",
		"Balázs", "Dóra", "Bence", "Orsolya", "Márton", "Lilla", "Ádám", "Emese",
		"Csaba", "Noémi", "Gergő", "Tünde", "Levente", "Boglárka", "Örs", "Ildikó",
		"Szilárd", "Hajnalka", "Ferenc", "Erzsébet", "Botond", "Enikő", "Miklós", "Kinga",
	}
)

// asciiFold spells Hungarian letters without accents, for e-mail addresses.
var asciiFold = strings.NewReplacer(
	"á", "a", "é", "e", "í", "i", "ó", "o", "ö", "o", "ő", "o", "ú", "u", "ü", "u", "ű", "u",
	"Á", "a", "É", "e", "Í", "i", "Ó", "o", "Ö", "o", "Ő", "o", "Ú", "u", "Ü", "u", "Ű", "u",
)

// mix is the SplitMix64 finaliser: a fixed, well-spread hash of i that
// stands in for a seeded random generator whose output could change
// between Go releases.
func mix(i uint64) uint64 {
	z := i + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// namer hands out unique names and e-mail addresses.
type namer struct {
	names  map[string]bool
	emails map[string]bool
	draws  uint64
}

// next returns a new name for someone from country and the local part of
// their e-mail address.
func (n *namer) next(country string) (name, local string) {
	for {
		a, b := mix(2*n.draws), mix(2*n.draws+1)
		n.draws++
		if country == "HU" {
			family := huFamilyNames[a%uint64(len(huFamilyNames))]
			given := huGivenNames[b%uint64(len(huGivenNames))]
			name = family + " " + given
			local = asciiFold.Replace(strings.ToLower(family + "." + given))
		} else {
			family := cnSurnames[a%uint64(len(cnSurnames))]
			given := cnGivenNames[b%uint64(len(cnGivenNames))]
			name = family.hanzi + given.hanzi
			local = family.pinyin + "." + given.pinyin
		}
		if n.names[name] {
			continue
		}
		n.names[name] = true
		base := local
		for k := 2; n.emails[local]; k++ {
			local = fmt.Sprintf("%s%d", base, k)
		}
		n.emails[local] = true
		return name, local
	}
}

// attendees returns the registered guests: unique names, e-mails
// name@example.org and external ids DEMO-0001…, all marked Sample. No
// attendee is given a name in reserved (the presenters), so that a name
// on a badge never points at the wrong person.
func attendees(reserved []string) []app.Attendee {
	n := &namer{names: map[string]bool{}, emails: map[string]bool{}}
	for _, name := range reserved {
		n.names[name] = true
	}
	var out []app.Attendee
	for _, d := range delegations {
		for range d.n {
			name, local := n.next(d.country)
			out = append(out, app.Attendee{
				Name:         name,
				Organization: d.org,
				Country:      d.country,
				Email:        local + "@example.org",
				ExternalID:   fmt.Sprintf("DEMO-%04d", len(out)+1),
				Category:     d.category,
				Sample:       true,
			})
		}
	}
	return out
}
