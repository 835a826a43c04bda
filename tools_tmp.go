//go:build tools

package tools

import (
	_ "github.com/alicebob/miniredis/v2"
	_ "github.com/glebarez/sqlite"
	_ "github.com/goccy/go-yaml"
	_ "github.com/gofiber/fiber/v2"
	_ "github.com/gofiber/websocket/v2"
	_ "github.com/redis/go-redis/v9"
	_ "github.com/skip2/go-qrcode"
	_ "golang.org/x/crypto/argon2"
	_ "golang.org/x/sync/singleflight"
	_ "gorm.io/driver/postgres"
	_ "gorm.io/gorm"
	_ "github.com/fasthttp/websocket"
	_ "github.com/chromedp/chromedp"
	_ "github.com/prometheus/client_golang/prometheus"
)
