// Command corpus writes the Go part of the grouping corpus: zap errors with `stacktrace`,
// errors logged with debug.Stack(), and panics (a child process's goroutine dump, as a log
// shipper would forward it). Usage: corpus OUT TRUTH COUNT, or corpus panic KIND N.
package main

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

type cart struct{ items map[string]int }

// quantity parses a quantity (bug go-quantity, through two callers).
func quantity(text string) (int, error) { return strconv.Atoi(text) }

func addItem(text string) error { _, err := quantity(text); return err }
func updateItem(text string) error { _, err := quantity(text); return err }

// total reads a nil cart (bug go-nil-cart, a panic).
func total(c *cart) int { return len(c.items) }

// slot indexes past a slice (bug go-index, a panic).
func slot(items []string, n int) string { return items[n] }

// recovered logs a recovered panic with debug.Stack() (bug go-recovered-divide).
func divide(a, b int) int { return a / b }

func runPanic(kind string, n int) {
	switch kind {
	case "nil":
		fmt.Println(total(nil))
	case "index":
		fmt.Println(slot([]string{"a"}, n))
	}
}

func main() {
	if os.Args[1] == "panic" {
		n, _ := strconv.Atoi(os.Args[3])
		runPanic(os.Args[2], n)
		return
	}
	count, _ := strconv.Atoi(os.Args[3])
	out, _ := os.Create(os.Args[1])
	truth, _ := os.Create(os.Args[2])
	encoder := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	core := zapcore.NewCore(encoder, zapcore.AddSync(out), zap.InfoLevel)
	logger := zap.New(core, zap.AddCaller(), zap.AddStacktrace(zap.ErrorLevel)).With(zap.String("service", "shop-go"))
	random := rand.New(rand.NewSource(31))
	for i := 0; i < count; i++ {
		group := event(random, logger, out)
		fmt.Fprintf(truth, "shop-go/%s\n", group)
	}
	logger.Sync()
}

func event(random *rand.Rand, logger *zap.Logger, out *os.File) string {
	switch random.Intn(4) {
	case 0:
		text := fmt.Sprintf("x%d", random.Intn(100))
		if random.Intn(2) == 0 {
			logger.Error("add item failed", zap.Error(addItem(text)))
		} else {
			logger.Error("update item failed", zap.Error(updateItem(text)))
		}
		return "go-quantity"
	case 1:
		recoverDivide(logger, random.Intn(50))
		return "go-recovered-divide"
	case 2:
		shipPanic(out, "nil", 0)
		return "go-nil-cart"
	default:
		shipPanic(out, "index", 1+random.Intn(20))
		return "go-index"
	}
}

func recoverDivide(logger *zap.Logger, a int) {
	defer func() {
		if r := recover(); r != nil {
			logger.WithOptions(zap.AddStacktrace(zap.FatalLevel)).Error("recovered panic",
				zap.Any("panic", fmt.Sprint(r)), zap.String("stack", string(debug.Stack())))
		}
	}()
	divide(a, 0)
}

// shipPanic runs a child that panics and writes its stderr as one record, as a shipper does.
func shipPanic(out *os.File, kind string, n int) {
	child := exec.Command(os.Args[0], "panic", kind, strconv.Itoa(n))
	stderr, _ := child.CombinedOutput()
	record := map[string]string{"level": "fatal", "service": "shop-go", "message": string(stderr)}
	line, _ := json.Marshal(record)
	out.Write(append(line, '\n'))
}
