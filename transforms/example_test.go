package transforms_test

import (
	"fmt"

	"github.com/fs-dev/fs/transforms"
)

func ExampleParse() {
	e, err := transforms.Parse("( avg_daily_trips/24.0 )  +  bonus ?? 0")
	if err != nil {
		panic(err)
	}
	fmt.Println(e.Canonical())
	fmt.Println(e.Names())
	fmt.Println(e.HandlesNull())
	// Output:
	// ((avg_daily_trips / 24.0) + (bonus ?? 0))
	// [avg_daily_trips bonus]
	// true
}

func ExampleCompile() {
	e, _ := transforms.Parse("conv_rate * acc_rate")
	p, err := transforms.Compile(e, transforms.Env{"conv_rate": transforms.Float64, "acc_rate": transforms.Float64}, "")
	if err != nil {
		panic(err)
	}
	ev := p.NewEvaluator()
	v, _ := ev.Eval(map[string]any{"conv_rate": 0.5, "acc_rate": 0.8})
	null, _ := ev.Eval(map[string]any{"conv_rate": nil, "acc_rate": 0.8})
	fmt.Println(p.Output(), v, null)
	// Output: float64 0.4 <nil>
}

func ExampleCompile_unknownName() {
	e, _ := transforms.Parse("conv_rate * acc_rat")
	_, err := transforms.Compile(e, transforms.Env{"conv_rate": transforms.Float64, "acc_rate": transforms.Float64}, "")
	te := err.(*transforms.Error)
	fmt.Println(te.Line, te.Column, te.Message, "/", te.Hint)
	// Output: 1 13 unknown name acc_rat / did you mean acc_rate?
}
